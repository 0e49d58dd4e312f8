import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { broadcastShapes } from './util.js';

export const Expand: Kernel = {
  opType: 'Expand',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const out = broadcastShapes([dims, ctx.numbers(1)], ctx.node);
    const x = tf.reshape(ctx.tensor(0), [...new Array<number>(out.length - dims.length).fill(1), ...dims]);
    return [deviceValue(tf.broadcastTo(x, out), ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const dims = ctx.shape(0);
    const shape = ctx.constant(1);
    return [dims && shape ? broadcastShapes([dims, shape], ctx.node) : undefined];
  },
};
