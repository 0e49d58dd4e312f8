import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceMean = reduceKernel('ReduceMean', (x, axes, keep) => tf.mean(x, axes, keep), { floatOnly: true });
