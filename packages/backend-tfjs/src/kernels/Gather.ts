import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { normalizeAxis } from './util.js';

/** Negative indices count from the end of the axis. */
export function wrapIndices(indices: tf.Tensor, dim: number): tf.Tensor {
  const i = toInt(indices);
  return tf.where(tf.less(i, 0), tf.add(i, tf.scalar(dim, 'int32')), i);
}

export const Gather: Kernel = {
  opType: 'Gather',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const axis = normalizeAxis(ctx.attrInt('axis', 0), dims.length, ctx.node);
    const indexDims = ctx.dims(1);
    const indices = wrapIndices(tf.reshape(ctx.tensor(1), [Math.max(1, indexDims.reduce((a, b) => a * b, 1))]), dims[axis]!);
    const gathered = tf.gather(ctx.tensor(0), indices, axis);
    const outShape = [...dims.slice(0, axis), ...indexDims, ...dims.slice(axis + 1)];
    return [deviceValue(tf.reshape(gathered, outShape), ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const dims = ctx.shape(0);
    const indexDims = ctx.shape(1);
    if (!dims || !indexDims) return [undefined];
    const axis = normalizeAxis(ctx.attrInt('axis', 0), dims.length, ctx.node);
    return [[...dims.slice(0, axis), ...indexDims, ...dims.slice(axis + 1)]];
  },
};
