import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const Equal = predicateKernel('Equal', (a, b) => tf.equal(a, b));
