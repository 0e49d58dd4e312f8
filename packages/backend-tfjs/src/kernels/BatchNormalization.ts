import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

/** Inference form: (x − mean) / √(var + ε) · scale + bias, per channel (axis 1). */
export const BatchNormalization: Kernel = {
  opType: 'BatchNormalization',
  run: (ctx) => {
    const rank = ctx.dims(0).length;
    const perChannel = (i: number) => tf.reshape(ctx.tensor(i), [-1, ...new Array<number>(Math.max(0, rank - 2)).fill(1)]);
    const invStd = tf.rsqrt(tf.add(perChannel(4), ctx.attrFloat('epsilon', 1e-5)));
    const y = tf.add(tf.mul(tf.mul(tf.sub(ctx.tensor(0), perChannel(3)), invStd), perChannel(1)), perChannel(2));
    return [deviceValue(y, ctx.dtype(0))];
  },
  inferShapes: sameShape,
};
