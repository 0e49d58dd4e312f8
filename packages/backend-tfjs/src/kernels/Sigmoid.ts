import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Sigmoid = unaryKernel('Sigmoid', (x) => tf.sigmoid(x));
