import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const GreaterOrEqual = predicateKernel('GreaterOrEqual', (a, b) => tf.greaterEqual(a, b));
