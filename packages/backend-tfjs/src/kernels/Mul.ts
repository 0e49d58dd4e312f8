import * as tf from '@tensorflow/tfjs-core';
import { arithmeticKernel } from './util.js';

export const Mul = arithmeticKernel('Mul', (a, b) => tf.mul(a, b));
