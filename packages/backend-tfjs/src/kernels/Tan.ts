import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Tan = unaryKernel('Tan', (x) => tf.tan(x));
