import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Reciprocal = unaryKernel('Reciprocal', (x) => tf.reciprocal(x));
