import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const Xor = predicateKernel('Xor', (a, b) => tf.logicalXor(a, b));
