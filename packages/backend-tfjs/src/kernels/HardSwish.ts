import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

/** x · max(0, min(1, x/6 + 1/2)). */
export const HardSwish = unaryKernel('HardSwish', (x) => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1)));
