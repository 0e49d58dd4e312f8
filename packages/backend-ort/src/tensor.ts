/**
 * Core Tensor ↔ onnxruntime Tensor without copies: ort keeps a reference to the typed array it is
 * given (the native binding and the wasm binding both read straight from it), and the arrays ort
 * hands back are wrapped, never cloned.
 */
import { SamClipError } from '@samclip/core';
import type { DType, Tensor, TensorData } from '@samclip/core';
import type { OrtApi, OrtTensor } from './ort-api.js';

/** Element types onnxruntime's JavaScript API can hold; bfloat16 has no JS tensor type there. */
const ORT_DTYPES: ReadonlySet<string> = new Set<DType>([
  'float32',
  'float64',
  'float16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
  'int4',
  'uint4',
]);

export function isOrtDType(dtype: string): dtype is DType {
  return ORT_DTYPES.has(dtype);
}

/** Number of elements a shape holds (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) count *= dim;
  return count;
}

/** Length the typed array of `dtype` must have for `dims` (4-bit types are packed two per byte). */
export function storageLength(dtype: DType, dims: readonly number[]): number {
  const count = elementCount(dims);
  return dtype === 'int4' || dtype === 'uint4' ? Math.ceil(count / 2) : count;
}

/** Wraps a core tensor as an ort tensor sharing its typed array. */
export function toOrtTensor(ort: OrtApi, tensor: Tensor, backend: string, name: string): OrtTensor {
  if (!isOrtDType(tensor.dtype)) {
    throw new SamClipError(
      'UNSUPPORTED',
      `${backend}: input '${name}' has dtype ${tensor.dtype}, which onnxruntime's JavaScript API cannot hold; cast it to float32 or float16 first.`,
      { backend, tensor: name, dtype: tensor.dtype },
    );
  }
  // The constructor overloads are per dtype; the union is checked above and by ort at runtime.
  const Ctor = ort.Tensor as unknown as new (type: string, data: TensorData, dims: readonly number[]) => OrtTensor;
  return new Ctor(tensor.dtype, tensor.data, tensor.dims);
}

/**
 * Views the data of a CPU ort tensor as a core tensor. float16 comes back as a Float16Array where
 * the runtime has one; core stores float16 as Uint16Array, so it is re-viewed over the same bytes.
 */
export function fromOrtTensor(tensor: OrtTensor): Tensor {
  return fromOrtData(tensor.type, tensor.dims, tensor.data);
}

/** Copies a device-resident ort tensor to the CPU with ort's own downloader (onnxruntime-web). */
export async function downloadWithGetData(tensor: OrtTensor): Promise<Tensor> {
  return fromOrtData(tensor.type, tensor.dims, await tensor.getData());
}

function fromOrtData(dtype: string, dims: readonly number[], raw: unknown): Tensor {
  if (!isOrtDType(dtype)) {
    throw new SamClipError('UNSUPPORTED', `onnxruntime returned a tensor of unknown dtype '${dtype}'.`, { dtype });
  }
  let data = raw as TensorData;
  if (dtype === 'float16' && !(raw instanceof Uint16Array)) {
    const view = raw as ArrayBufferView & { length: number };
    data = new Uint16Array(view.buffer, view.byteOffset, view.length);
  } else if (dtype === 'int4' && raw instanceof Int8Array) {
    data = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  }
  return { dtype, dims: [...dims], data };
}
