/** IEEE 754 half-precision conversions: tfjs has no float16 tensors, so half values are widened to float32 on upload. */

const floatView = new Float32Array(1);
const intView = new Uint32Array(floatView.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Rounds to nearest even, as numpy's astype(float16) does. */
export function floatToHalf(value: number): number {
  floatView[0] = value;
  const bits = intView[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half += 1;
  return sign | half;
}

export function bfloat16ToFloat(b: number): number {
  intView[0] = b << 16;
  return floatView[0]!;
}

export function floatToBfloat16(value: number): number {
  floatView[0] = value;
  const bits = intView[0]!;
  if (Number.isNaN(value)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}
