import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';

/** Inference: the identity, with an all-true mask when asked for. */
export const Dropout: Kernel = {
  opType: 'Dropout',
  run: (ctx) => [ctx.value(0), deviceValue(tf.ones(ctx.dims(0), 'bool'), 'bool')],
};
