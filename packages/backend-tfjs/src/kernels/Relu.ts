import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const Relu = unaryKernel('Relu', (x) => tf.relu(x));
