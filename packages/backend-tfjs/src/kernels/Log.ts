import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Log = unaryKernel('Log', (x) => tf.log(x));
