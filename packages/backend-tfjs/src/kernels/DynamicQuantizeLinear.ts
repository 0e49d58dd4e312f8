import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toInt } from './tensor-util.js';
import type { Kernel } from './types.js';

/** uint8 quantization over [min(x, 0), max(x, 0)]: returns y, its scale and zero point. */
export const DynamicQuantizeLinear: Kernel = {
  opType: 'DynamicQuantizeLinear',
  run: (ctx) => {
    const x = ctx.tensor(0);
    const lo = tf.minimum(tf.min(x), 0);
    const hi = tf.maximum(tf.max(x), 0);
    const scale = tf.div(tf.sub(hi, lo), 255);
    const zeroPoint = tf.clipByValue(tf.round(tf.sub(0, tf.div(lo, scale))), 0, 255);
    const y = tf.clipByValue(tf.add(tf.round(tf.div(x, scale)), zeroPoint), 0, 255);
    return [deviceValue(toInt(y), 'uint8'), deviceValue(scale, 'float32'), deviceValue(toInt(zeroPoint), 'uint8')];
  },
};
