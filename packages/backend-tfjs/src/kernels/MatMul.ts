import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel, ShapeContext } from './types.js';
import { broadcastShapes } from './util.js';

/** numpy matmul: 1-D operands gain and then lose a unit dim; batch dims broadcast. */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const a2 = a.rank === 1 ? tf.expandDims(a, 0) : a;
  const b2 = b.rank === 1 ? tf.expandDims(b, 1) : b;
  const rank = Math.max(a2.rank, b2.rank);
  const lift = (t: tf.Tensor) => (t.rank < rank ? tf.reshape(t, [...new Array<number>(rank - t.rank).fill(1), ...t.shape]) : t);
  let y = tf.matMul(lift(toFloat(a2)), lift(toFloat(b2)));
  if (a.rank === 1) y = tf.squeeze(y, [y.rank - 2]);
  if (b.rank === 1) y = tf.squeeze(y, [y.rank - 1]);
  return y;
}

export function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)], { name: 'matmul', opType: 'MatMul', domain: '', inputs: [], outputs: [], attributes: [] });
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
