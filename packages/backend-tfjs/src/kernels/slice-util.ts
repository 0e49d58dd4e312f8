/**
 * Slices in the form engines run fastest. tfjs-wasm's Slice kernel first copies its whole input
 * out of the wasm heap (readSync) before taking its part, so taking the 300 windows of a
 * [300,196,196] score tensor one by one copied 14 GB, and unstack is no better. A slice that is
 * one contiguous run of the input is copied straight from the heap instead: its cost is its size.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's BackendWasm used here: a view of a tensor's bytes on the heap. */
interface HeapBackend {
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function heapBackend(): HeapBackend | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof backend.typedArrayFromHeap === 'function' ? (backend as HeapBackend) : undefined;
}

/** Whether [begin, begin + size) is one run of row-major memory: full extent after the first axis longer than 1. */
export function isContiguousSlice(shape: readonly number[], begin: readonly number[], size: readonly number[]): boolean {
  const first = size.findIndex((d) => d > 1);
  if (first < 0) return true;
  for (let axis = first + 1; axis < shape.length; axis++) if (begin[axis] !== 0 || size[axis] !== shape[axis]) return false;
  return true;
}

export function sliceFast(x: tf.Tensor, begin: readonly number[], size: readonly number[]): tf.Tensor {
  if (x.shape.every((d, axis) => begin[axis] === 0 && size[axis] === d)) return tf.reshape(x, x.shape);
  const heap = heapBackend();
  if (!heap || !isContiguousSlice(x.shape, begin, size)) return tf.slice(x, [...begin], [...size]);
  let offset = 0;
  let stride = 1;
  for (let axis = x.rank - 1; axis >= 0; axis--) {
    offset += begin[axis]! * stride;
    stride *= x.shape[axis]!;
  }
  const count = size.reduce((n, d) => n * d, 1);
  // slice() copies out of the heap: a view would be detached if the next allocation grows memory.
  return tf.tensor(heap.typedArrayFromHeap(x).slice(offset, offset + count), [...size], x.dtype);
}
