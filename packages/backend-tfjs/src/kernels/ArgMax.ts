import * as tf from '@tensorflow/tfjs-core';
import { argKernel } from './arg-util.js';

export const ArgMax = argKernel('ArgMax', (x, axis) => tf.argMax(x, axis));
