/**
 * Runtime values. A value lives on the host (a core Tensor: initializers, feeds, shapes), on the
 * tfjs engine, or both; each side is created on demand and cached. `dtype` is always the ONNX
 * element type, because tfjs only knows float32/int32/bool: halves and doubles run as float32,
 * every integer type (int64 included) as int32 with range checks at the boundary.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import type { DType, Tensor, TensorData } from '@samclip/core';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from './float16.js';

export interface Value {
  readonly dtype: DType;
  readonly dims: readonly number[];
  host?: Tensor;
  device?: tf.Tensor;
}

export type TfDType = 'float32' | 'int32' | 'bool';

const FLOAT_TYPES: ReadonlySet<DType> = new Set(['float32', 'float16', 'float64', 'bfloat16']);

export function isFloatType(dtype: DType): boolean {
  return FLOAT_TYPES.has(dtype);
}

export function tfDtypeOf(dtype: DType): TfDType {
  if (FLOAT_TYPES.has(dtype)) return 'float32';
  if (dtype === 'bool') return 'bool';
  if (dtype === 'string') {
    throw new SamClipError('UNSUPPORTED', 'String tensors cannot run on TensorFlow.js backends; use an onnxruntime backend (ort-node, ort-wasm).', { dtype });
  }
  return 'int32';
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Reads any host tensor as plain JavaScript numbers (int64 beyond 2^53 loses precision, which shape arithmetic never needs). */
export function hostNumbers(t: Tensor): number[] {
  const count = elementCount(t.dims);
  const out = new Array<number>(count);
  const data = t.data;
  switch (t.dtype) {
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat((data as Uint16Array)[i]!);
      return out;
    case 'bfloat16':
      for (let i = 0; i < count; i++) out[i] = bfloat16ToFloat((data as Uint16Array)[i]!);
      return out;
    case 'int4':
    case 'uint4':
      for (let i = 0; i < count; i++) {
        const byte = (data as Uint8Array)[i >> 1]!;
        const nibble = i & 1 ? byte >> 4 : byte & 0xf;
        out[i] = t.dtype === 'int4' && nibble > 7 ? nibble - 16 : nibble;
      }
      return out;
    case 'string':
      throw new SamClipError('UNSUPPORTED', 'String tensors cannot be read as numbers on TensorFlow.js backends.', { dtype: t.dtype });
    default:
      for (let i = 0; i < count; i++) out[i] = Number((data as ArrayLike<number | bigint>)[i]);
      return out;
  }
}

/** Builds a host tensor of an ONNX dtype from numbers (saturation is the caller's business). */
export function hostFromNumbers(dtype: DType, dims: readonly number[], values: ArrayLike<number>): Tensor {
  const n = values.length;
  let data: TensorData;
  switch (dtype) {
    case 'float32': data = Float32Array.from(values); break;
    case 'float64': data = Float64Array.from(values); break;
    case 'float16': data = Uint16Array.from(Array.from(values, floatToHalf)); break;
    case 'bfloat16': data = Uint16Array.from(Array.from(values, floatToBfloat16)); break;
    case 'int8': data = Int8Array.from(values); break;
    case 'uint8': data = Uint8Array.from(values); break;
    case 'int16': data = Int16Array.from(values); break;
    case 'uint16': data = Uint16Array.from(values); break;
    case 'int32': data = Int32Array.from(values); break;
    case 'uint32': data = Uint32Array.from(values); break;
    case 'bool': data = Uint8Array.from(values, (v) => (v ? 1 : 0)); break;
    case 'int64': data = BigInt64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))); break;
    case 'uint64': data = BigUint64Array.from(Array.from(values, (v) => BigInt(Math.trunc(v)))); break;
    case 'int4':
    case 'uint4': {
      const packed = new Uint8Array(Math.ceil(n / 2));
      for (let i = 0; i < n; i++) packed[i >> 1]! |= (values[i]! & 0xf) << (i & 1 ? 4 : 0);
      data = packed;
      break;
    }
    case 'string':
      throw new SamClipError('UNSUPPORTED', 'String tensors cannot be built on TensorFlow.js backends.', { dtype });
  }
  return { dtype, dims: [...dims], data };
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Copies a host tensor to the engine; integers beyond int32 are refused rather than wrapped. */
export function uploadHost(t: Tensor): tf.Tensor {
  const tfType = tfDtypeOf(t.dtype);
  const dims = [...t.dims];
  switch (t.dtype) {
    case 'float32':
      return tf.tensor(t.data as Float32Array, dims, 'float32');
    case 'int32':
      return tf.tensor(t.data as Int32Array, dims, 'int32');
    case 'bool':
      return tf.tensor(t.data as Uint8Array, dims, 'bool');
    case 'int8': case 'uint8': case 'int16': case 'uint16':
      return tf.tensor(Int32Array.from(t.data as ArrayLike<number>), dims, 'int32');
    case 'int64': case 'uint64': case 'uint32': {
      const values = hostNumbers(t);
      for (const v of values) {
        if (v < INT32_MIN || v > INT32_MAX) {
          throw new SamClipError('UNSUPPORTED', `A ${t.dtype} tensor holds ${v}, beyond the int32 range TensorFlow.js computes in; use an onnxruntime backend (ort-node, ort-wasm) for this graph.`, { dtype: t.dtype, value: v });
        }
      }
      return tf.tensor(Int32Array.from(values), dims, 'int32');
    }
    default: {
      const values = hostNumbers(t);
      return tfType === 'int32' ? tf.tensor(Int32Array.from(values), dims, 'int32') : tf.tensor(Float32Array.from(values), dims, tfType);
    }
  }
}

/** Reads an engine tensor back as a host tensor of the given ONNX dtype. */
export function downloadDevice(t: tf.Tensor, dtype: DType): Tensor {
  const values = t.dataSync() as Float32Array | Int32Array | Uint8Array;
  if (dtype === 'float32' && values instanceof Float32Array) return { dtype, dims: [...t.shape], data: values.slice() };
  if (dtype === 'int32' && values instanceof Int32Array) return { dtype, dims: [...t.shape], data: values.slice() };
  return hostFromNumbers(dtype, t.shape, values);
}

export function hostValue(t: Tensor): Value {
  return { dtype: t.dtype, dims: t.dims, host: t };
}

export function deviceValue(t: tf.Tensor, dtype: DType): Value {
  return { dtype, dims: t.shape, device: t };
}

/**
 * tfjs-webgpu reads synchronously by drawing the buffer through a WebGPU canvas into a 2-D canvas;
 * where that path does not work (headless Chromium, software adapters) dataSync silently returns
 * zeros. On that engine a value is read on the host only after an awaited download.
 */
function syncReadIsUnreliable(t: tf.Tensor): boolean {
  return tf.getBackend() === 'webgpu' && !hasCpuCopy(t);
}

/** Whether tfjs-webgpu already holds the tensor's values on the CPU (uploads, CPU-forwarded kernels, earlier reads). */
function hasCpuCopy(t: tf.Tensor): boolean {
  const backend = tf.engine().findBackend('webgpu') as unknown as { tensorMap?: { get(id: object): { values?: unknown } | undefined } } | null;
  return backend?.tensorMap?.get(t.dataId)?.values != null;
}

/**
 * Thrown by valueHost when a device value must be downloaded with an await first (see
 * syncReadIsUnreliable). The session awaits `download()` and runs the node again; folding at
 * compile time leaves such a node to run time instead.
 */
export class HostReadPending extends SamClipError {
  constructor(readonly value: Value) {
    super('SESSION', 'A TensorFlow.js value is needed on the host before its asynchronous download finished; run the node again after HostReadPending.download().', { dims: [...value.dims] });
  }

  async download(): Promise<void> {
    const t = this.value.device;
    if (!t || t.isDisposed) {
      throw new SamClipError('SESSION', 'A value computed inside the node (a sub-graph value) must be read on the host, which tfjs-webgpu cannot do synchronously here; run this graph on tfjs-wasm, tfjs-webgl or an onnxruntime backend.', { dims: [...this.value.dims] });
    }
    await t.data();
    this.value.host = downloadDevice(t, this.value.dtype);
  }
}

export function valueHost(v: Value): Tensor {
  if (!v.host) {
    if (!v.device) throw new SamClipError('SESSION', 'A value has neither host nor device data; it was disposed too early.', {});
    if (syncReadIsUnreliable(v.device)) throw new HostReadPending(v);
    v.host = downloadDevice(v.device, v.dtype);
  }
  return v.host;
}

/** The engine tensor of a value, uploaded once and kept out of the enclosing tidy (the planner disposes it). */
export function valueDevice(v: Value): tf.Tensor {
  if (!v.device || v.device.isDisposed) {
    if (!v.host) throw new SamClipError('SESSION', 'A value has neither host nor device data; it was disposed too early.', {});
    v.device = tf.keep(uploadHost(v.host));
  }
  return v.device;
}

export function disposeValue(v: Value): void {
  v.device?.dispose();
  v.device = undefined;
}
