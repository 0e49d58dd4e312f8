import * as tf from '@tensorflow/tfjs-core';
import { predicateKernel } from './util.js';

export const LessOrEqual = predicateKernel('LessOrEqual', (a, b) => tf.lessEqual(a, b));
