import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';

export const Tile: Kernel = {
  opType: 'Tile',
  run: (ctx) => [deviceValue(tf.tile(ctx.tensor(0), ctx.numbers(1)), ctx.dtype(0))],
  inferShapes: (ctx) => {
    const dims = ctx.shape(0);
    const repeats = ctx.constant(1);
    return [dims && repeats ? dims.map((d, i) => d * repeats[i]!) : undefined];
  },
};
