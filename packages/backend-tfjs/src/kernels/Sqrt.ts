import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Sqrt = unaryKernel('Sqrt', (x) => tf.sqrt(x));
