import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const HardSigmoid = unaryKernel('HardSigmoid', (x, ctx) =>
  tf.clipByValue(tf.add(tf.mul(x, ctx.attrFloat('alpha', 0.2)), ctx.attrFloat('beta', 0.5)), 0, 1),
);
