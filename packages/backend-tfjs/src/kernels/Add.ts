import * as tf from '@tensorflow/tfjs-core';
import { arithmeticKernel } from './util.js';

export const Add = arithmeticKernel('Add', (a, b) => tf.add(a, b));
