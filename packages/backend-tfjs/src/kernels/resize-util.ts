/**
 * Resize as separable linear maps: every ONNX Resize mode (nearest, linear, cubic; antialias;
 * every coordinate_transformation_mode) is, per resized axis, an [out × in] weight matrix built
 * here in JavaScript and applied with one matMul. Layout-agnostic, so no NHWC round trip.
 */
export interface AxisResize {
  inSize: number;
  outSize: number;
  scale: number;
  /** inSize · scale before flooring (ONNX's reference uses it for align_corners and friends); outSize when sizes were given. */
  lengthResized: number;
  /** Original-frame coordinate of each output index (per ONNX coordinate_transformation_mode). */
  roiStart: number;
  roiEnd: number;
}

export interface ResizeMode {
  mode: string;
  coordinateMode: string;
  nearestMode: string;
  cubicA: number;
  excludeOutside: boolean;
  antialias: boolean;
}

export function originalCoordinate(x: number, a: AxisResize, coordinateMode: string): number {
  const { inSize, outSize, scale, lengthResized } = a;
  switch (coordinateMode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outSize / lengthResized;
      const center = inSize / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return lengthResized > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return lengthResized === 1 ? 0 : (x * (inSize - 1)) / (lengthResized - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_crop_and_resize':
      return lengthResized > 1
        ? a.roiStart * (inSize - 1) + (x * (a.roiEnd - a.roiStart) * (inSize - 1)) / (lengthResized - 1)
        : 0.5 * (a.roiStart + a.roiEnd) * (inSize - 1);
    default:
      throw new Error(`unknown coordinate_transformation_mode "${coordinateMode}"`);
  }
}

function nearestIndex(x: number, nearestMode: string): number {
  switch (nearestMode) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    default: // round_prefer_floor
      return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
  }
}

function cubicCoefficient(t: number, a: number): number {
  const x = Math.abs(t);
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

/** Tap offsets (relative to floor(x)) and their weights for linear/cubic, antialiased when downscaling. */
function taps(ratio: number, scale: number, m: ResizeMode): Array<[number, number]> {
  const s = m.antialias ? Math.min(scale, 1) : 1;
  const cubic = m.mode === 'cubic';
  const start = Math.floor((cubic ? -2 : -1) / s) + 1;
  const end = 2 - start;
  const out: Array<[number, number]> = [];
  for (let i = start; i < end; i++) {
    const arg = (i - ratio) * s;
    out.push([i, cubic ? cubicCoefficient(arg, m.cubicA) : Math.max(0, 1 - Math.abs(arg))]);
  }
  if (m.antialias) {
    const sum = out.reduce((acc, [, w]) => acc + w, 0);
    for (const t of out) t[1] /= sum;
  }
  return out;
}

/** Row-major [outSize × inSize] weights, plus which output rows fall outside the input (tf_crop_and_resize). */
export function resizeMatrix(a: AxisResize, m: ResizeMode): { weights: Float32Array; outside: boolean[] } {
  const { inSize, outSize } = a;
  const weights = new Float32Array(outSize * inSize);
  const outside: boolean[] = [];
  for (let o = 0; o < outSize; o++) {
    const x = originalCoordinate(o, a, m.coordinateMode);
    const isOutside = m.coordinateMode === 'tf_crop_and_resize' && (x < 0 || x > inSize - 1);
    outside.push(isOutside);
    if (isOutside) continue;
    const row = o * inSize;
    const clamp = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
    if (m.mode === 'nearest') {
      weights[row + clamp(nearestIndex(x, m.nearestMode))] = 1;
      continue;
    }
    let base = Math.floor(x);
    let ratio = x - base;
    // ONNX's reference takes the neighbours below an exact sample point.
    if (ratio === 0) {
      ratio = 1;
      base -= 1;
    }
    let tapList = taps(ratio, a.scale, m);
    if (m.excludeOutside) {
      tapList = tapList.map(([i, w]) => [i, base + i < 0 || base + i >= inSize ? 0 : w]);
      const sum = tapList.reduce((acc, [, w]) => acc + w, 0);
      tapList = tapList.map(([i, w]) => [i, w / sum]);
    }
    for (const [i, w] of tapList) weights[row + clamp(base + i)]! += w;
  }
  return { weights, outside };
}
