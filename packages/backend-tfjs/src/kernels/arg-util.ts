/** ArgMax/ArgMin with keepdims and select_last_index (found by searching the reversed axis). */
import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { normalizeAxis } from './util.js';

export function argKernel(opType: string, arg: (x: tf.Tensor, axis: number) => tf.Tensor): Kernel {
  return {
    opType,
    run: (ctx) => {
      const dims = ctx.dims(0);
      const axis = normalizeAxis(ctx.attrInt('axis', 0), dims.length, ctx.node);
      const last = ctx.attrInt('select_last_index', 0) === 1;
      const x = ctx.tensor(0);
      let index = last ? tf.sub(dims[axis]! - 1, arg(tf.reverse(x, axis), axis)) : arg(x, axis);
      if (ctx.attrInt('keepdims', 1) === 1) index = tf.expandDims(index, axis);
      return [deviceValue(toInt(index), 'int64')];
    },
    inferShapes: (ctx) => {
      const s = ctx.shape(0);
      if (!s) return [undefined];
      const axis = normalizeAxis(ctx.attrInt('axis', 0), s.length, ctx.node);
      const keep = ctx.attrInt('keepdims', 1) === 1;
      return [s.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d]))];
    },
  };
}
