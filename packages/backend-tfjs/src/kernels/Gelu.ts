import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

/** Exact: x/2 · (1 + erf(x/√2)); approximate="tanh": x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
export const Gelu = unaryKernel('Gelu', (x, ctx) => {
  const inner =
    ctx.attrString('approximate', 'none') === 'tanh'
      ? tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))
      : tf.erf(tf.mul(x, Math.SQRT1_2));
  return tf.mul(tf.mul(x, 0.5), tf.add(inner, 1));
});
