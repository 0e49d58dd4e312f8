import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Tanh = unaryKernel('Tanh', (x) => tf.tanh(x));
