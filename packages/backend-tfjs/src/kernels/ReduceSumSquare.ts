import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceSumSquare = reduceKernel('ReduceSumSquare', (x, axes, keep) => tf.sum(tf.square(x), axes, keep));
