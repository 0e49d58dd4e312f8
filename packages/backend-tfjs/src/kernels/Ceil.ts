import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Ceil = unaryKernel('Ceil', (x) => tf.ceil(x));
