/**
 * Tensor helpers shared by every package: construction with validation, element counts, dtype
 * sizes, raw little-endian byte views, fp16/bf16 and packed 4-bit conversions, and resolving
 * initializers (external data included) into dense tensors.
 */
import { SamClipError } from '../errors.js';
import type { DType, DTypeStorage, Initializer, Tensor, TensorData } from './types.js';
import { ONNX_DATA_TYPE } from './types.js';

type NumericDType = Exclude<DType, 'string'>;
type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const STORAGE_CONSTRUCTOR: { readonly [D in NumericDType]: TypedArrayConstructor } = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  int4: Uint8Array,
  uint4: Uint8Array,
};

/** Every dtype the IR supports, in ONNX enum order. */
export const DTYPES: readonly DType[] = (Object.keys(ONNX_DATA_TYPE) as Array<keyof typeof ONNX_DATA_TYPE>).filter(
  (name): name is DType => name !== 'undefined',
);

const DTYPE_BY_ONNX_CODE = new Map<number, DType>(DTYPES.map((dtype) => [ONNX_DATA_TYPE[dtype], dtype]));

/** The dtype of an ONNX TensorProto.DataType code, or undefined when samclip does not support it. */
export function dtypeFromOnnx(code: number): DType | undefined {
  return DTYPE_BY_ONNX_CODE.get(code);
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/** Storage bits per element: 4 for int4/uint4, 8 × the element byte size otherwise; 0 for strings. */
export function bitsPerElement(dtype: DType): number {
  if (dtype === 'string') return 0;
  if (dtype === 'int4' || dtype === 'uint4') return 4;
  return STORAGE_CONSTRUCTOR[dtype].BYTES_PER_ELEMENT * 8;
}

/** Number of elements of a shape; the empty shape is a scalar with one element. */
export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new SamClipError('SHAPE', `Tensor dimension ${String(dim)} in [${dims.join(', ')}] is not a non-negative integer; every dimension must be a whole number ≥ 0.`, {
        dims: [...dims],
      });
    }
    count *= dim;
  }
  if (!Number.isSafeInteger(count)) {
    throw new SamClipError('SHAPE', `Tensor shape [${dims.join(', ')}] has more elements than JavaScript can index.`, { dims: [...dims] });
  }
  return count;
}

/** Length of the `data` array holding `count` elements (packed 4-bit types hold two per byte). */
export function storageLength(dtype: DType, count: number): number {
  return dtype === 'int4' || dtype === 'uint4' ? Math.ceil(count / 2) : count;
}

/** Byte length of `count` elements in ONNX raw_data layout. */
export function rawByteLength(dtype: DType, count: number): number {
  if (dtype === 'string') {
    throw new SamClipError('UNSUPPORTED', 'String tensors have no fixed-width byte layout; keep them as string arrays.', { dtype });
  }
  return storageLength(dtype, count) * STORAGE_CONSTRUCTOR[dtype].BYTES_PER_ELEMENT;
}

function typedArrayTag(value: unknown): string | undefined {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? (value as Uint8Array)[Symbol.toStringTag] : undefined;
}

/** Whether `data` is the storage class of `dtype` (a Float32Array for float32, a string[] for string, …). */
export function isStorageOf<D extends DType>(dtype: D, data: unknown): data is DTypeStorage[D] {
  if (dtype === 'string') return Array.isArray(data) && data.every((item) => typeof item === 'string');
  return typedArrayTag(data) === STORAGE_CONSTRUCTOR[dtype as NumericDType].name;
}

/** Plain values accepted by createTensor: logical element values, converted to the dtype's storage. */
export type TensorValues = ReadonlyArray<number | bigint> | readonly boolean[] | readonly string[];

/**
 * Builds a tensor after checking that the data fits the shape. `data` is either the dtype's storage
 * (used as is, no copy: Uint16Array of fp16 bits, packed Uint8Array for int4…) or a plain array of
 * element values, which is converted (numbers → fp16 bits, 4-bit values → packed bytes, …).
 */
export function createTensor<D extends DType>(dtype: D, dims: readonly number[], data: DTypeStorage[D] | TensorValues): Tensor<D> {
  if (!isDType(dtype)) {
    throw new SamClipError('INVALID_ARGUMENT', `Unknown tensor dtype "${String(dtype)}"; use one of ${DTYPES.join(', ')}.`, { dtype });
  }
  const count = elementCount(dims);
  let storage: TensorData;
  if (isStorageOf(dtype, data)) {
    storage = data;
    const expected = storageLength(dtype, count);
    if (storage.length !== expected) {
      const unit = dtype === 'int4' || dtype === 'uint4' ? 'packed bytes' : 'elements';
      throw new SamClipError(
        'SHAPE',
        `A ${dtype} tensor of shape [${dims.join(', ')}] needs ${expected} ${unit}, but its data has ${storage.length}.`,
        { dtype, dims: [...dims], expected, actual: storage.length },
      );
    }
  } else if (Array.isArray(data)) {
    if (data.length !== count) {
      throw new SamClipError('SHAPE', `A ${dtype} tensor of shape [${dims.join(', ')}] needs ${count} values, but ${data.length} were given.`, {
        dtype,
        dims: [...dims],
        expected: count,
        actual: data.length,
      });
    }
    storage = valuesToStorage(dtype, data as TensorValues);
  } else {
    const storageName = dtype === 'string' ? 'string[]' : STORAGE_CONSTRUCTOR[dtype as NumericDType].name;
    throw new SamClipError(
      'INVALID_ARGUMENT',
      `Data for a ${dtype} tensor must be a ${storageName} or a plain array of values, not ${typedArrayTag(data) ?? typeof data}.`,
      { dtype },
    );
  }
  return { dtype, dims: [...dims], data: storage as DTypeStorage[D] };
}

function valuesToStorage(dtype: DType, values: TensorValues): TensorData {
  switch (dtype) {
    case 'string':
      if (!values.every((value) => typeof value === 'string')) {
        throw new SamClipError('INVALID_ARGUMENT', 'A string tensor takes an array of strings.', { dtype });
      }
      return [...(values as readonly string[])];
    case 'float16':
      return float32ToFloat16(values.map(Number));
    case 'bfloat16':
      return float32ToBfloat16(values.map(Number));
    case 'int4':
      return packInt4(values.map(Number));
    case 'uint4':
      return packUint4(values.map(Number));
    case 'bool':
      return Uint8Array.from(values as readonly unknown[], (value) => (value ? 1 : 0));
    case 'int64':
      return BigInt64Array.from(values as readonly unknown[], (value) => toBigIntValue(value, dtype));
    case 'uint64':
      return BigUint64Array.from(values as readonly unknown[], (value) => toBigIntValue(value, dtype));
    default:
      return (STORAGE_CONSTRUCTOR[dtype] as Float64ArrayConstructor).from(values as readonly unknown[], Number);
  }
}

function toBigIntValue(value: unknown, dtype: DType): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new SamClipError('INVALID_ARGUMENT', `A ${dtype} tensor takes integers or bigints, not ${String(value)}.`, { dtype });
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteSwapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j] ?? 0;
  }
  return out;
}

/**
 * Interprets ONNX raw_data (little-endian, fixed width) as the dtype's storage. Returns a view
 * sharing memory with `bytes` when its offset is aligned, otherwise one copy; never a per-element loop
 * on little-endian hosts.
 */
export function rawBytesToTensorData(dtype: DType, bytes: Uint8Array, count: number): TensorData {
  const expected = rawByteLength(dtype, count);
  if (bytes.byteLength !== expected) {
    throw new SamClipError('SHAPE', `${count} ${dtype} elements take ${expected} bytes, but ${bytes.byteLength} were given.`, {
      dtype,
      expected,
      actual: bytes.byteLength,
    });
  }
  const Ctor = STORAGE_CONSTRUCTOR[dtype as NumericDType];
  const width = Ctor.BYTES_PER_ELEMENT;
  let source = bytes;
  if (width > 1 && !LITTLE_ENDIAN_HOST) source = byteSwapped(bytes, width);
  else if (bytes.byteOffset % width !== 0) source = new Uint8Array(bytes);
  return new Ctor(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / width) as TensorData;
}

/** The dtype storage as ONNX raw_data bytes: a view on little-endian hosts (no copy). */
export function tensorDataToRawBytes(dtype: DType, data: TensorData): Uint8Array {
  if (dtype === 'string' || !ArrayBuffer.isView(data)) {
    throw new SamClipError('UNSUPPORTED', 'String tensors have no raw byte layout; ONNX stores them in string_data.', { dtype });
  }
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const width = STORAGE_CONSTRUCTOR[dtype].BYTES_PER_ELEMENT;
  return width > 1 && !LITTLE_ENDIAN_HOST ? byteSwapped(view, width) : view;
}

// ---- float16 -------------------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Inf stays Inf; NaN keeps its top payload bits and stays a NaN (quiet bit forced).
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    // Subnormal half: shift the full 24-bit significand, round to nearest, ties to even.
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

/** IEEE half bits of a number (rounded to float32 first, then to half: nearest, ties to even). */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  return float32BitsToFloat16Bits(u32Scratch[0] ?? 0);
}

/** The float value of IEEE half bits (exact; subnormals, ±Inf and NaN included). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let float16Table: Float32Array | undefined;

function float16LookupTable(): Float32Array {
  if (!float16Table) {
    float16Table = new Float32Array(65536);
    const bitsView = new Uint32Array(float16Table.buffer);
    for (let bits = 0; bits < 65536; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent === 0x1f) {
        // Keep NaN payloads and sign bit-exact rather than collapsing to the canonical NaN.
        bitsView[bits] = ((bits & 0x8000) << 16) | 0x7f800000 | ((bits & 0x3ff) << 13);
      } else {
        float16Table[bits] = float16BitsToFloat32(bits);
      }
    }
  }
  return float16Table;
}

/** float32 values → IEEE half bits (round to nearest even). */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  const source = values instanceof Float32Array ? values : Float32Array.from(values);
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i] ?? 0);
  return out;
}

/** IEEE half bits → float32 values (exact). */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const table = float16LookupTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] ?? 0] ?? 0;
  return out;
}

// ---- bfloat16 ------------------------------------------------------------------------------

function float32BitsToBfloat16Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  // Round to nearest, ties to even, by adding 0x7fff plus the lowest kept bit.
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function float32ToBfloat16Bits(value: number): number {
  f32Scratch[0] = value;
  return float32BitsToBfloat16Bits(u32Scratch[0] ?? 0);
}

export function bfloat16BitsToFloat32(bits: number): number {
  u32Scratch[0] = (bits & 0xffff) << 16;
  return f32Scratch[0] ?? 0;
}

/** float32 values → bfloat16 bits (round to nearest even; NaN stays NaN). */
export function float32ToBfloat16(values: ArrayLike<number>): Uint16Array {
  const source = values instanceof Float32Array ? values : Float32Array.from(values);
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16Bits(bits[i] ?? 0);
  return out;
}

/** bfloat16 bits → float32 values (exact). */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = (bits[i] ?? 0) << 16;
  return out;
}

// ---- packed 4-bit --------------------------------------------------------------------------

function packNibbles(values: ArrayLike<number>, min: number, max: number, dtype: 'int4' | 'uint4'): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? 0;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SamClipError('INVALID_ARGUMENT', `Value ${value} at index ${i} does not fit ${dtype} (integers ${min}…${max}); clamp or requantize first.`, {
        dtype,
        index: i,
        value,
      });
    }
    const nibble = value & 0x0f;
    const byteIndex = i >>> 1;
    out[byteIndex] = (out[byteIndex] ?? 0) | (i & 1 ? nibble << 4 : nibble);
  }
  return out;
}

/** Packs int4 values (−8…7) two per byte, the first element in the low nibble. */
export function packInt4(values: ArrayLike<number>): Uint8Array {
  return packNibbles(values, -8, 7, 'int4');
}

/** Packs uint4 values (0…15) two per byte, the first element in the low nibble. */
export function packUint4(values: ArrayLike<number>): Uint8Array {
  return packNibbles(values, 0, 15, 'uint4');
}

function checkPackedLength(packed: Uint8Array, count: number): void {
  if (packed.length !== Math.ceil(count / 2)) {
    throw new SamClipError('SHAPE', `${count} packed 4-bit values take ${Math.ceil(count / 2)} bytes, but ${packed.length} were given.`, {
      expected: Math.ceil(count / 2),
      actual: packed.length,
    });
  }
}

/** Unpacks `count` int4 values (low nibble first), sign-extending each. */
export function unpackInt4(packed: Uint8Array, count: number): Int8Array {
  checkPackedLength(packed, count);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const byte = packed[i >>> 1] ?? 0;
    const nibble = i & 1 ? byte >>> 4 : byte & 0x0f;
    out[i] = (nibble << 28) >> 28;
  }
  return out;
}

/** Unpacks `count` uint4 values (low nibble first). */
export function unpackUint4(packed: Uint8Array, count: number): Uint8Array {
  checkPackedLength(packed, count);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const byte = packed[i >>> 1] ?? 0;
    out[i] = i & 1 ? byte >>> 4 : byte & 0x0f;
  }
  return out;
}

// ---- conversions -----------------------------------------------------------------------------

/**
 * Element values as float32. A float32 tensor's own array is returned (no copy); every other
 * numeric dtype is converted (int64/uint64 beyond 2^24 lose precision as float32 does).
 */
export function tensorToFloat32(tensor: Tensor): Float32Array {
  const count = elementCount(tensor.dims);
  switch (tensor.dtype) {
    case 'float32':
      return tensor.data as Float32Array;
    case 'float16':
      return float16ToFloat32(tensor.data as Uint16Array);
    case 'bfloat16':
      return bfloat16ToFloat32(tensor.data as Uint16Array);
    case 'int4':
      return new Float32Array(unpackInt4(tensor.data as Uint8Array, count));
    case 'uint4':
      return new Float32Array(unpackUint4(tensor.data as Uint8Array, count));
    case 'int64':
    case 'uint64':
      return Float32Array.from(tensor.data as BigInt64Array | BigUint64Array, Number);
    case 'string':
      throw new SamClipError('UNSUPPORTED', 'A string tensor has no float32 values.', { dtype: tensor.dtype });
    default:
      return new Float32Array(tensor.data as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>);
  }
}

/**
 * The dense tensor of an initializer. In-memory data is used as is; external data is looked up in
 * `externalData` by its location (the path written in the model) and sliced by offset/length, as a
 * view when aligned.
 */
export function initializerToTensor(initializer: Initializer, externalData?: ReadonlyMap<string, Uint8Array>): Tensor {
  const { name, dtype, dims } = initializer;
  if (initializer.data !== undefined) return createTensor(dtype, dims, initializer.data);
  const ref = initializer.external;
  if (!ref) {
    throw new SamClipError('MODEL_DECODE', `Initializer "${name}" has neither in-memory nor external data; the model is incomplete.`, {
      initializer: name,
    });
  }
  const file = externalData?.get(ref.location);
  if (!file) {
    throw new SamClipError(
      'NOT_FOUND',
      `Initializer "${name}" keeps its data in external file "${ref.location}", which was not provided; pass that file's bytes in the external data map under the key "${ref.location}".`,
      { initializer: name, location: ref.location },
    );
  }
  if (ref.offset < 0 || ref.offset + ref.length > file.byteLength) {
    throw new SamClipError(
      'MODEL_DECODE',
      `Initializer "${name}" reads bytes ${ref.offset}…${ref.offset + ref.length} of "${ref.location}", but that file has ${file.byteLength} bytes; the external data file does not belong to this model or is truncated.`,
      { initializer: name, location: ref.location, offset: ref.offset, length: ref.length, fileBytes: file.byteLength },
    );
  }
  const count = elementCount(dims);
  const expected = rawByteLength(dtype, count);
  if (ref.length !== expected) {
    throw new SamClipError(
      'MODEL_DECODE',
      `Initializer "${name}" (${dtype} [${dims.join(', ')}]) needs ${expected} bytes, but its external data entry in "${ref.location}" has ${ref.length}.`,
      { initializer: name, location: ref.location, expected, actual: ref.length },
    );
  }
  return { dtype, dims: [...dims], data: rawBytesToTensorData(dtype, file.subarray(ref.offset, ref.offset + ref.length), count) };
}

/** An in-memory initializer holding a tensor's data (shared, not copied). */
export function tensorToInitializer(name: string, tensor: Tensor): Initializer {
  return { name, dtype: tensor.dtype, dims: [...tensor.dims], data: tensor.data };
}
