import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, hostNumbers } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { axisToEndPerm, normalizeAxis } from './util.js';

/** tf.topk works on the last axis, so other axes are transposed there and back; smallest-k negates. */
export const TopK: Kernel = {
  opType: 'TopK',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const axis = normalizeAxis(ctx.attrInt('axis', -1), dims.length, ctx.node);
    const k = ctx.opset < 10 ? ctx.attrInt('k', 1) : hostNumbers(ctx.host(1))[0]!;
    const largest = ctx.attrInt('largest', 1) === 1;
    const { perm, inverse } = axisToEndPerm(dims.length, axis);
    const moved = tf.transpose(ctx.tensor(0), perm);
    const { values, indices } = tf.topk(largest ? moved : tf.neg(moved), k, true);
    const v = tf.transpose(largest ? values : tf.neg(values), inverse);
    return [deviceValue(v, ctx.dtype(0)), deviceValue(tf.transpose(indices, inverse), 'int64')];
  },
};
