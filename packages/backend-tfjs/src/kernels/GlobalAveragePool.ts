import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';

export const GlobalAveragePool: Kernel = {
  opType: 'GlobalAveragePool',
  run: (ctx) => {
    const rank = ctx.dims(0).length;
    return [deviceValue(tf.mean(ctx.tensor(0), Array.from({ length: rank - 2 }, (_, i) => i + 2), true), ctx.dtype(0))];
  },
  inferShapes: (ctx) => [ctx.shape(0)?.map((d, i) => (i < 2 ? d : 1))],
};
