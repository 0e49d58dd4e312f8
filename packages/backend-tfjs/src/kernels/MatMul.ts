import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { engineMatMul } from './matmul-util.js';
import { toFloat, toInt } from './tensor-util.js';
import { transposeFast } from './transpose-util.js';
import type { Kernel, ShapeContext } from './types.js';
import { broadcastShapes } from './util.js';

const MATMUL_NODE = { name: 'matmul', opType: 'MatMul', domain: '', inputs: [], outputs: [], attributes: [] };

/** tf.broadcastTo, without its copy when nothing broadcasts (tfjs-wasm's clone copies). */
function broadcastTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  return t.shape.every((d, i) => d === shape[i]) && t.rank === shape.length ? t : tf.broadcastTo(t, shape);
}

/**
 * numpy matmul: 1-D operands gain and then lose a unit dim; batch dims broadcast. Batch axes along
 * which only the left operand varies (a 2-D right operand's whole batch, or the rows × heads of a
 * decomposed relative-position product against a per-row table) fold into the left operand's rows,
 * so they cost one large product instead of many small ones; the remaining batch axes are
 * broadcast explicitly and flattened to one.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const a2 = toFloat(a.rank === 1 ? tf.expandDims(a, 0) : a);
  const b2 = toFloat(b.rank === 1 ? tf.expandDims(b, 1) : b);
  const [m, k] = a2.shape.slice(-2) as [number, number];
  const n = b2.shape[b2.rank - 1]!;
  const batch = broadcastShapes([a2.shape.slice(0, -2), b2.shape.slice(0, -2)], MATMUL_NODE);
  const lift = (shape: readonly number[]) => [...new Array<number>(batch.length + 2 - shape.length).fill(1), ...shape.slice(0, -2)];
  const [aBatch, bBatch] = [lift(a2.shape), lift(b2.shape)];
  const axes = [...batch.keys()];
  const folded = axes.filter((i) => bBatch[i] === 1 && aBatch[i]! > 1);
  const kept = axes.filter((i) => !folded.includes(i));
  const count = kept.reduce((x, i) => x * batch[i]!, 1);
  const rows = folded.reduce((x, i) => x * batch[i]!, m);
  // Left: [kept..., folded..., m, k] → [count, rows, k]; right: [kept..., k, n] → [count, k, n].
  const aMoved = transposeFast(tf.reshape(a2, [...aBatch, m, k]), [...kept, ...folded, batch.length, batch.length + 1]);
  const aFull = broadcastTo(aMoved, [...kept.map((i) => batch[i]!), ...folded.map((i) => batch[i]!), m, k]);
  const bFull = broadcastTo(tf.reshape(b2, [...kept.map((i) => bBatch[i]!), k, n]), [...kept.map((i) => batch[i]!), k, n]);
  const product = engineMatMul(tf.reshape(aFull, [count, rows, k]), tf.reshape(bFull, [count, k, n]));
  // Back to [kept..., folded..., m, n], then to the batch's own axis order.
  const unfolded = tf.reshape(product, [...kept.map((i) => batch[i]!), ...folded.map((i) => batch[i]!), m, n]);
  const order = [...kept, ...folded];
  let y = transposeFast(unfolded, [...axes.map((i) => order.indexOf(i)), batch.length, batch.length + 1]);
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
