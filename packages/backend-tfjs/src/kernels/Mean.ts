import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { broadcastShape } from './util.js';

export const Mean: Kernel = {
  opType: 'Mean',
  run: (ctx) => {
    let sum = ctx.tensor(0);
    for (let i = 1; i < ctx.inputCount; i++) sum = tf.add(sum, ctx.tensor(i));
    return [deviceValue(tf.div(sum, ctx.inputCount), ctx.dtype(0))];
  },
  inferShapes: broadcastShape,
};
