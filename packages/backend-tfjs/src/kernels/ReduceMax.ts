import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceMax = reduceKernel('ReduceMax', (x, axes, keep) => tf.max(x, axes, keep));
