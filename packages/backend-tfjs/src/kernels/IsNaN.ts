import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

export const IsNaN: Kernel = {
  opType: 'IsNaN',
  run: (ctx) => [deviceValue(tf.isNaN(ctx.tensor(0)), 'bool')],
  inferShapes: sameShape,
};
