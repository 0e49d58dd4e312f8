import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const Or = predicateKernel('Or', (a, b) => tf.logicalOr(a, b));
