import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Cos = unaryKernel('Cos', (x) => tf.cos(x));
