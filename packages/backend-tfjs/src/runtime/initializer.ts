/** Initializers (weights, Constant attributes) as host tensors, reading ONNX external data when the caller supplied it. */
import { ONNX_DATA_TYPE, SamClipError } from '@samclip/core';
import type { DType, Initializer, Tensor, TensorData } from '@samclip/core';
import { elementCount } from './value.js';

const BYTES_PER_ELEMENT: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2,
  int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1,
};

/** Decodes little-endian raw bytes (ONNX raw_data / external data layout) into the dtype's typed array. */
export function rawToTensorData(dtype: DType, count: number, bytes: Uint8Array): TensorData {
  if (dtype === 'int4' || dtype === 'uint4') return bytes.slice(0, Math.ceil(count / 2));
  const size = BYTES_PER_ELEMENT[dtype];
  if (size === undefined) throw new SamClipError('UNSUPPORTED', `External ${dtype} data cannot be read by TensorFlow.js backends.`, { dtype });
  const copy = bytes.slice(0, count * size).buffer;
  switch (dtype) {
    case 'float32': return new Float32Array(copy);
    case 'float64': return new Float64Array(copy);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(copy);
    case 'int8': return new Int8Array(copy);
    case 'uint8': case 'bool': return new Uint8Array(copy);
    case 'int16': return new Int16Array(copy);
    case 'int32': return new Int32Array(copy);
    case 'uint32': return new Uint32Array(copy);
    case 'int64': return new BigInt64Array(copy);
    default: return new BigUint64Array(copy);
  }
}

export function initializerTensor(init: Initializer, externalData?: ReadonlyMap<string, Uint8Array>): Tensor {
  if (init.data) return { dtype: init.dtype, dims: init.dims, data: init.data };
  const ref = init.external;
  const file = ref && externalData?.get(ref.location);
  if (!ref || !file) {
    throw new SamClipError('NOT_FOUND', `Initializer "${init.name}" lives in external data "${ref?.location ?? '?'}", which was not supplied; pass it in SessionOptions.externalData.`, { initializer: init.name, location: ref?.location });
  }
  const count = elementCount(init.dims);
  const length = ref.length || file.byteLength - ref.offset;
  return { dtype: init.dtype, dims: init.dims, data: rawToTensorData(init.dtype, count, file.subarray(ref.offset, ref.offset + length)) };
}

const DTYPE_BY_CODE = new Map<number, DType>(Object.entries(ONNX_DATA_TYPE).map(([name, code]) => [code, name as DType]));

export function dtypeFromCode(code: number): DType {
  const dtype = DTYPE_BY_CODE.get(code);
  if (!dtype) throw new SamClipError('MODEL_DECODE', `Unknown ONNX data type ${code}.`, { code });
  return dtype;
}
