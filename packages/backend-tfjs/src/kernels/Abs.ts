import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Abs = unaryKernel('Abs', (x) => tf.abs(x));
