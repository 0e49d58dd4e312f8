import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { broadcastShape, broadcastShapes } from './util.js';

export const Where: Kernel = {
  opType: 'Where',
  run: (ctx) => {
    const shape = broadcastShapes([ctx.dims(0), ctx.dims(1), ctx.dims(2)], ctx.node);
    const expand = (i: number) => {
      const dims = ctx.dims(i);
      const t = tf.reshape(ctx.tensor(i), [...new Array<number>(shape.length - dims.length).fill(1), ...dims]);
      return tf.broadcastTo(t, shape);
    };
    return [deviceValue(tf.where(expand(0), expand(1), expand(2)), ctx.dtype(1))];
  },
  inferShapes: broadcastShape,
};
