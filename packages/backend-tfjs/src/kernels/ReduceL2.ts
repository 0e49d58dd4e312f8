import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceL2 = reduceKernel('ReduceL2', (x, axes, keep) => tf.sqrt(tf.sum(tf.square(x), axes, keep)), { floatOnly: true });
