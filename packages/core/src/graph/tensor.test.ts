import { describe, expect, it } from 'vitest';
import { isSamClipError } from '../errors.js';
import {
  bfloat16BitsToFloat32,
  bfloat16ToFloat32,
  createTensor,
  elementCount,
  float16BitsToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToBfloat16Bits,
  float32ToFloat16,
  float32ToFloat16Bits,
  initializerToTensor,
  packInt4,
  packUint4,
  rawBytesToTensorData,
  tensorDataToRawBytes,
  tensorToFloat32,
  unpackInt4,
  unpackUint4,
} from './tensor.js';
import type { Initializer } from './types.js';

function expectCode(fn: () => unknown, code: Parameters<typeof isSamClipError>[1]): void {
  try {
    fn();
  } catch (error) {
    expect(isSamClipError(error, code), `expected SamClipError ${code}, got ${String(error)}`).toBe(true);
    return;
  }
  throw new Error(`expected SamClipError ${code}, but nothing was thrown`);
}

describe('float16', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65519, 0x7bff],
    [65520, 0x7c00], // halfway to 65536 rounds to even: overflow to Inf
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even (0)
    [2 ** -25 * 1.0000001, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 ulps: even wins
    [1 + 2 ** -11, 0x3c00], // tie: even mantissa kept
    [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie rounds up
    [-0, 0x8000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [1e-10, 0x0000],
    [-1e10, 0xfc00],
  ])('%d → 0x%s', (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it('keeps NaN a NaN', () => {
    const bits = float32ToFloat16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
    expect(float16BitsToFloat32(bits)).toBeNaN();
  });

  it('round-trips every half value exactly (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const floats = float16ToFloat32(all);
    const back = float32ToFloat16(floats);
    for (let bits = 0; bits < 65536; bits++) {
      const value = floats[bits] ?? 0;
      expect(value === float16BitsToFloat32(bits) || (Number.isNaN(value) && Number.isNaN(float16BitsToFloat32(bits)))).toBe(true);
      if (Number.isNaN(value)) expect(back[bits]! & 0x7c00).toBe(0x7c00);
      else expect(back[bits]).toBe(bits);
    }
  });

  it('decodes subnormals, signed zero and infinities', () => {
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x8000)).toBe(-0);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
  });
});

describe('bfloat16', () => {
  it('rounds to nearest even and keeps specials', () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie: even
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie: up to even
    expect(float32ToBfloat16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(float32ToBfloat16Bits(Infinity)).toBe(0x7f80);
    expect(float32ToBfloat16Bits(-Infinity)).toBe(0xff80);
    expect(bfloat16BitsToFloat32(float32ToBfloat16Bits(NaN))).toBeNaN();
    expect(bfloat16BitsToFloat32(0xc040)).toBe(-3);
  });

  it('converts arrays both ways', () => {
    const bits = float32ToBfloat16([1, -3, 0.5, 3.4e38]);
    expect([...bits]).toEqual([0x3f80, 0xc040, 0x3f00, 0x7f80]);
    expect([...bfloat16ToFloat32(bits)]).toEqual([1, -3, 0.5, Infinity]);
  });
});

describe('4-bit packing', () => {
  it('packs int4 low nibble first and sign-extends on unpack', () => {
    const packed = packInt4([1, -1, -8, 7, 3]);
    expect([...packed]).toEqual([0xf1, 0x78, 0x03]);
    expect([...unpackInt4(packed, 5)]).toEqual([1, -1, -8, 7, 3]);
  });

  it('packs uint4', () => {
    const packed = packUint4([15, 0, 1]);
    expect([...packed]).toEqual([0x0f, 0x01]);
    expect([...unpackUint4(packed, 3)]).toEqual([15, 0, 1]);
  });

  it('rejects values out of range and packed data of the wrong length', () => {
    expectCode(() => packInt4([8]), 'INVALID_ARGUMENT');
    expectCode(() => packUint4([-1]), 'INVALID_ARGUMENT');
    expectCode(() => packUint4([0.5]), 'INVALID_ARGUMENT');
    expectCode(() => unpackInt4(new Uint8Array(2), 5), 'SHAPE');
  });
});

describe('createTensor', () => {
  it('uses storage arrays as they are', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const tensor = createTensor('float32', [2, 3], data);
    expect(tensor.data).toBe(data);
    expect(tensor.dims).toEqual([2, 3]);
  });

  it('converts plain values to the storage of each dtype', () => {
    expect([...createTensor('float16', [2], [1, -2]).data]).toEqual([0x3c00, 0xc000]);
    expect([...createTensor('int4', [3], [-1, 2, 3]).data]).toEqual([0x2f, 0x03]);
    expect(createTensor('int64', [2], [1, 2n ** 40n]).data).toEqual(new BigInt64Array([1n, 2n ** 40n]));
    expect([...createTensor('bool', [3], [true, false, true]).data]).toEqual([1, 0, 1]);
    expect(createTensor('string', [2], ['a', 'β']).data).toEqual(['a', 'β']);
    expect(createTensor('int8', [], [-5]).data).toEqual(new Int8Array([-5]));
  });

  it('accepts empty tensors and scalars', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([3, 0, 2])).toBe(0);
    expect(createTensor('float32', [0, 4], new Float32Array(0)).data.length).toBe(0);
  });

  it('rejects data that does not fit the shape', () => {
    expectCode(() => createTensor('float32', [2, 3], new Float32Array(5)), 'SHAPE');
    expectCode(() => createTensor('int4', [3], new Uint8Array(1)), 'SHAPE');
    expectCode(() => createTensor('float32', [2], [1, 2, 3]), 'SHAPE');
    expectCode(() => createTensor('float32', [-1], new Float32Array(0)), 'SHAPE');
    expectCode(() => createTensor('float32', [1.5], new Float32Array(1)), 'SHAPE');
  });

  it('rejects data of the wrong storage class', () => {
    expectCode(() => createTensor('float32', [2], new Float64Array(2) as unknown as Float32Array), 'INVALID_ARGUMENT');
    expectCode(() => createTensor('int64', [1], [0.5]), 'INVALID_ARGUMENT');
    expectCode(() => createTensor('nope' as 'float32', [1], [1]), 'INVALID_ARGUMENT');
  });
});

describe('raw bytes', () => {
  it('views aligned bytes without copying and copies unaligned ones', () => {
    const buffer = new ArrayBuffer(16);
    new Float32Array(buffer, 4, 2).set([1.5, -2]);
    const aligned = rawBytesToTensorData('float32', new Uint8Array(buffer, 4, 8), 2) as Float32Array;
    expect([...aligned]).toEqual([1.5, -2]);
    expect(aligned.buffer).toBe(buffer);

    const bytes = new Uint8Array(12);
    bytes.set(new Uint8Array(new Float32Array([3.25, 7]).buffer), 1);
    const unaligned = rawBytesToTensorData('float32', bytes.subarray(1, 9), 2) as Float32Array;
    expect([...unaligned]).toEqual([3.25, 7]);
    expect(unaligned.buffer).not.toBe(bytes.buffer);
  });

  it('checks the byte count and writes little-endian bytes', () => {
    expectCode(() => rawBytesToTensorData('int32', new Uint8Array(7), 2), 'SHAPE');
    expect([...tensorDataToRawBytes('int32', new Int32Array([0x01020304]))]).toEqual([4, 3, 2, 1]);
    expect(rawBytesToTensorData('int64', new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255]), 1)).toEqual(new BigInt64Array([-1n]));
    expectCode(() => tensorDataToRawBytes('string', ['x']), 'UNSUPPORTED');
  });
});

describe('tensorToFloat32', () => {
  it('returns float32 data itself and converts every other numeric dtype', () => {
    const f32 = createTensor('float32', [2], [1, 2]);
    expect(tensorToFloat32(f32)).toBe(f32.data);
    expect([...tensorToFloat32(createTensor('float16', [2], [0.5, -1]))]).toEqual([0.5, -1]);
    expect([...tensorToFloat32(createTensor('bfloat16', [1], [-3]))]).toEqual([-3]);
    expect([...tensorToFloat32(createTensor('int4', [3], [-8, 7, 1]))]).toEqual([-8, 7, 1]);
    expect([...tensorToFloat32(createTensor('uint4', [1], [15]))]).toEqual([15]);
    expect([...tensorToFloat32(createTensor('int64', [1], [-(2n ** 33n)]))]).toEqual([-(2 ** 33)]);
    expect([...tensorToFloat32(createTensor('uint8', [2], [0, 255]))]).toEqual([0, 255]);
    expect([...tensorToFloat32(createTensor('float64', [1], [0.25]))]).toEqual([0.25]);
    expectCode(() => tensorToFloat32(createTensor('string', [1], ['a'])), 'UNSUPPORTED');
  });
});

describe('initializerToTensor', () => {
  const file = new Uint8Array(64);
  new Float32Array(file.buffer, 16, 3).set([1, 2, 3]);
  const external: Initializer = { name: 'w', dtype: 'float32', dims: [3], external: { location: 'weights.bin', offset: 16, length: 12 } };

  it('slices external data by offset and length', () => {
    const tensor = initializerToTensor(external, new Map([['weights.bin', file]]));
    expect([...tensor.data]).toEqual([1, 2, 3]);
    expect((tensor.data as Float32Array).buffer).toBe(file.buffer);
  });

  it('names the missing file, the bad range and the wrong length', () => {
    expectCode(() => initializerToTensor(external), 'NOT_FOUND');
    expectCode(() => initializerToTensor(external, new Map([['other.bin', file]])), 'NOT_FOUND');
    expectCode(() => initializerToTensor({ ...external, external: { location: 'weights.bin', offset: 60, length: 12 } }, new Map([['weights.bin', file]])), 'MODEL_DECODE');
    expectCode(() => initializerToTensor({ ...external, external: { location: 'weights.bin', offset: 0, length: 8 } }, new Map([['weights.bin', file]])), 'MODEL_DECODE');
    expectCode(() => initializerToTensor({ name: 'empty', dtype: 'float32', dims: [1] }), 'MODEL_DECODE');
    try {
      initializerToTensor(external);
    } catch (error) {
      expect(String(error)).toContain('weights.bin');
      expect(String(error)).toContain('"w"');
    }
  });

  it('validates in-memory data', () => {
    expect(initializerToTensor({ name: 'b', dtype: 'int32', dims: [2], data: new Int32Array([4, 5]) }).data).toEqual(new Int32Array([4, 5]));
    expectCode(() => initializerToTensor({ name: 'b', dtype: 'int32', dims: [3], data: new Int32Array([4, 5]) }), 'SHAPE');
  });
});
