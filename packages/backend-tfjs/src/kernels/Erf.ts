import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Erf = unaryKernel('Erf', (x) => tf.erf(x));
