import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Softplus = unaryKernel('Softplus', (x) => tf.softplus(x));
