import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const Greater = predicateKernel('Greater', (a, b) => tf.greater(a, b));
