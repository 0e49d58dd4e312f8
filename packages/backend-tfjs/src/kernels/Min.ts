import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { broadcastShape } from './util.js';

export const Min: Kernel = {
  opType: 'Min',
  run: (ctx) => {
    let result = ctx.tensor(0);
    for (let i = 1; i < ctx.inputCount; i++) result = tf.minimum(result, ctx.tensor(i));
    return [deviceValue(ctx.inputCount === 1 ? tf.clone(result) : result, ctx.dtype(0))];
  },
  inferShapes: broadcastShape,
};
