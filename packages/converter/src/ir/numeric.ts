/**
 * Numeric helpers the passes share: float views of initializers, float16 with clamping, and
 * on-disk sizes. Bit-level conversions come from @samclip/core.
 */
import { SamClipError, elementCount, float16ToFloat32, float32ToFloat16 } from '@samclip/core';
import type { DType, Initializer, TensorData } from '@samclip/core';

/** Largest finite float16 value. */
export const FLOAT16_MAX = 65504;

/** float32 → float16 bits; `clamp` keeps finite values finite (±65504) instead of overflowing to ±Inf. */
export function toFloat16(values: Float32Array, clamp: boolean): Uint16Array {
  if (!clamp) return float32ToFloat16(values);
  const clamped = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    clamped[i] = Number.isFinite(value) ? Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, value)) : value;
  }
  return float32ToFloat16(clamped);
}

export { elementCount };

export const FLOAT_DTYPES: ReadonlySet<DType> = new Set<DType>(['float32', 'float16', 'float64', 'bfloat16']);

/** The bytes an initializer occupies on disk. */
export function byteSize(dtype: DType, dims: readonly number[]): number {
  const count = elementCount(dims);
  switch (dtype) {
    case 'float64':
    case 'int64':
    case 'uint64':
      return count * 8;
    case 'float32':
    case 'int32':
    case 'uint32':
      return count * 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
    case 'uint16':
      return count * 2;
    case 'int4':
    case 'uint4':
      return Math.ceil(count / 2);
    default:
      return count;
  }
}

export function requireData(init: Initializer): TensorData {
  if (init.data === undefined) {
    throw new SamClipError('CONVERSION', `Initializer "${init.name}" has no bytes in memory; load its external data before converting.`, {
      initializer: init.name,
      location: init.external?.location,
    });
  }
  return init.data;
}

/** The initializer's values as float32, whatever float type it is stored in. */
export function readFloats(init: Initializer): Float32Array {
  const data = requireData(init);
  switch (init.dtype) {
    case 'float32':
      return data as Float32Array;
    case 'float16':
      return float16ToFloat32(data as Uint16Array);
    case 'float64':
      return Float32Array.from(data as Float64Array);
    default:
      throw new SamClipError('CONVERSION', `Initializer "${init.name}" is ${init.dtype}, not a float tensor.`, { initializer: init.name });
  }
}

/** Integer-valued initializers (shape and index constants) as plain numbers. */
export function readIntegers(init: Initializer): number[] {
  const data = requireData(init);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  if (Array.isArray(data)) throw new SamClipError('CONVERSION', `Initializer "${init.name}" holds strings, not integers.`, { initializer: init.name });
  return Array.from(data as ArrayLike<number>);
}
