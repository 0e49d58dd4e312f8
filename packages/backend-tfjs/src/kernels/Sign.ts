import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Sign = unaryKernel('Sign', (x) => tf.sign(x));
