import * as tf from '@tensorflow/tfjs-core';
import { argKernel } from './arg-util.js';

export const ArgMin = argKernel('ArgMin', (x, axis) => tf.argMin(x, axis));
