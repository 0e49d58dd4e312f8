import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel, ShapeContext } from './types.js';
import { broadcastShapes } from './util.js';

const MATMUL_NODE = { name: 'matmul', opType: 'MatMul', domain: '', inputs: [], outputs: [], attributes: [] };

/**
 * numpy matmul: 1-D operands gain and then lose a unit dim. A 2-D right operand (weights) folds
 * the left operand's batch into rows; otherwise batch dims are broadcast explicitly and flattened
 * to one, since tfjs's batched matMul only broadcasts a single batch dim reliably.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const a2 = toFloat(a.rank === 1 ? tf.expandDims(a, 0) : a);
  const b2 = toFloat(b.rank === 1 ? tf.expandDims(b, 1) : b);
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const n = b2.shape[b2.rank - 1]!;
  let y: tf.Tensor;
  if (b2.rank === 2) {
    y = tf.reshape(tf.matMul(tf.reshape(a2, [-1, k]), b2 as tf.Tensor2D), [...a2.shape.slice(0, -2), m, n]);
  } else {
    const batch = broadcastShapes([a2.shape.slice(0, -2), b2.shape.slice(0, -2)], MATMUL_NODE);
    const count = batch.reduce((x, d) => x * d, 1);
    const flat = (t: tf.Tensor, rows: number, cols: number) => {
      const lifted = tf.reshape(t, [...new Array<number>(batch.length + 2 - t.rank).fill(1), ...t.shape]);
      return tf.reshape(tf.broadcastTo(lifted, [...batch, rows, cols]), [count, rows, cols]) as tf.Tensor3D;
    };
    y = tf.reshape(tf.matMul(flat(a2, m, k), flat(b2, k, n)), [...batch, m, n]);
  }
  if (a.rank === 1) y = tf.squeeze(y, [y.rank - 2]);
  if (b.rank === 1) y = tf.squeeze(y, [y.rank - 1]);
  return y;
}

export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)], MATMUL_NODE);
  const out = [...batch, ...(a.length === 1 ? [] : [a2[a2.length - 2]!]), ...(b.length === 1 ? [] : [b2[b2.length - 1]!])];
  return out;
}

export const MatMul: Kernel = {
  opType: 'MatMul',
  run: (ctx) => {
    const y = matmul(ctx.tensor(0), ctx.tensor(1));
    const dtype = ctx.dtype(0);
    return [deviceValue(isFloatType(dtype) ? y : toInt(tf.round(y)), dtype)];
  },
  inferShapes: (ctx: ShapeContext) => {
    const a = ctx.shape(0);
    const b = ctx.shape(1);
    return [a && b ? matmulShape(a, b) : undefined];
  },
};
