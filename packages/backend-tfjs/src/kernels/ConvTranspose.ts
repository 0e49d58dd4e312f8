import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { toChannelsFirst, toChannelsLast } from './conv-util.js';
import { convTransposeChannelsLast, convTransposePlan } from './conv-transpose-util.js';

export const ConvTranspose: Kernel = {
  opType: 'ConvTranspose',
  run: (ctx) => {
    const rank = ctx.dims(0).length;
    const plan = convTransposePlan(ctx, ctx.dims(0).slice(2), ctx.dims(1).slice(2));
    const x = tf.transpose(ctx.tensor(0), toChannelsLast(rank));
    const y = convTransposeChannelsLast(x, ctx.tensor(1), ctx.has(2) ? ctx.tensor(2) : undefined, plan);
    return [deviceValue(tf.transpose(y, toChannelsFirst(rank)), ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const x = ctx.shape(0);
    const w = ctx.shape(1);
    if (!x || !w) return [undefined];
    const plan = convTransposePlan(ctx, x.slice(2), w.slice(2));
    return [[x[0]!, w[1]! * plan.group, ...plan.outSpatial]];
  },
};
