import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { broadcastShape, wrapInteger } from './util.js';

/** Base and exponent may differ in type; the result has the base's type. */
export const Pow: Kernel = {
  opType: 'Pow',
  run: (ctx) => {
    const dtype = ctx.dtype(0);
    const base = toFloat(ctx.tensor(0));
    const exponent = toFloat(ctx.tensor(1));
    const result = tf.pow(base, exponent);
    return [deviceValue(isFloatType(dtype) ? result : wrapInteger(toInt(tf.round(result)), dtype), dtype)];
  },
  inferShapes: broadcastShape,
};
