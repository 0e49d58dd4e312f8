import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceL1 = reduceKernel('ReduceL1', (x, axes, keep) => tf.sum(tf.abs(x), axes, keep));
