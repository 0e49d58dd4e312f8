import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Floor = unaryKernel('Floor', (x) => tf.floor(x));
