import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Neg = unaryKernel('Neg', (x) => tf.neg(x));
