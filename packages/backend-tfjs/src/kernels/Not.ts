import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

export const Not: Kernel = {
  opType: 'Not',
  run: (ctx) => [deviceValue(tf.logicalNot(ctx.tensor(0)), 'bool')],
  inferShapes: sameShape,
};
