import * as tf from '@tensorflow/tfjs-core';
import { arithmeticKernel } from './util.js';

export const Sub = arithmeticKernel('Sub', (a, b) => tf.sub(a, b));
