/**
 * Matrix products in the form engines run fastest. tfjs-wasm sends a matMul to XNNPACK only when
 * both operands have a single batch and neither is transposed; every other call runs a naive
 * blocked loop at 0.3–1 GFLOP/s (the global attention of a SAM backbone, 12 heads × 4096² × 64,
 * took 74 s there against about 3 s through XNNPACK). So on wasm a batched product runs as one
 * XNNPACK product per batch and transposed operands are materialised first.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceFast } from './slice-util.js';
import { transposeFast } from './transpose-util.js';

function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = [...t.shape.keys()];
  perm.splice(-2, 2, t.rank - 1, t.rank - 2);
  return transposeFast(t, perm);
}

/** tf.matMul on rank-2 or rank-3 operands with equal batch (or batch 1, broadcast). */
export function engineMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
  const left = transposeA ? swapLastTwo(a) : a;
  const right = transposeB ? swapLastTwo(b) : b;
  const batchOf = (t: tf.Tensor) => (t.rank === 3 ? t.shape[0]! : 1);
  const batch = Math.max(batchOf(left), batchOf(right));
  if (batch === 1) {
    const y = tf.matMul(tf.reshape(left, left.shape.slice(-2) as [number, number]), tf.reshape(right, right.shape.slice(-2) as [number, number]));
    return left.rank === 3 || right.rank === 3 ? tf.expandDims(y, 0) : y;
  }
  const matrix = (t: tf.Tensor, i: number): tf.Tensor2D => {
    const [rows, cols] = t.shape.slice(-2) as [number, number];
    if (t.rank === 2 || t.shape[0] === 1) return tf.reshape(t, [rows, cols]);
    return tf.tidy(() => tf.reshape(sliceFast(t, [i, 0, 0], [1, rows, cols]), [rows, cols]));
  };
  const products: tf.Tensor[] = [];
  for (let i = 0; i < batch; i++) {
    // Each slice is freed as soon as its product exists, so the copies never add up (reshapes
    // share their source's data, so disposing one of `left` or `right` only drops a reference).
    const [ai, bi] = [matrix(left, i), matrix(right, i)];
    products.push(tf.matMul(ai, bi));
    tf.dispose([ai, bi]);
  }
  const y = tf.stack(products);
  tf.dispose(products);
  return y;
}
