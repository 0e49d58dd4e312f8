import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const And = predicateKernel('And', (a, b) => tf.logicalAnd(a, b));
