import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const Less = predicateKernel('Less', (a, b) => tf.less(a, b));
