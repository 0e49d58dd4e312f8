import * as tf from '@tensorflow/tfjs-core';
import { isFloatType } from '../runtime/value.js';
import { arithmeticKernel } from './util.js';

/** Integer division truncates toward zero (C semantics), unlike tf.floorDiv. */
export const Div = arithmeticKernel('Div', (a, b, dtype) => {
  if (isFloatType(dtype)) return tf.div(a, b);
  const quotient = tf.floorDiv(tf.abs(a), tf.abs(b));
  return tf.mul(quotient, tf.mul(tf.sign(a), tf.sign(b)));
});
