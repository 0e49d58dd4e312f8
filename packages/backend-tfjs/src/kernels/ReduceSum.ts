import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceSum = reduceKernel('ReduceSum', (x, axes, keep) => tf.sum(x, axes, keep));
