import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Elu = unaryKernel('Elu', (x, ctx) => {
  const alpha = ctx.attrFloat('alpha', 1);
  return tf.where(tf.greater(x, 0), x, tf.mul(tf.sub(tf.exp(x), 1), alpha));
});
