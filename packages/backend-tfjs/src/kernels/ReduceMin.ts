import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceMin = reduceKernel('ReduceMin', (x, axes, keep) => tf.min(x, axes, keep));
