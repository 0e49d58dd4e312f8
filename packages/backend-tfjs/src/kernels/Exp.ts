import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Exp = unaryKernel('Exp', (x) => tf.exp(x));
