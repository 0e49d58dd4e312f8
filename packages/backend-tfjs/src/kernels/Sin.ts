import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Sin = unaryKernel('Sin', (x) => tf.sin(x));
