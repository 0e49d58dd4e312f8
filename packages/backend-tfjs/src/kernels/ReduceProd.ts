import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceProd = reduceKernel('ReduceProd', (x, axes, keep) => tf.prod(x, axes, keep));
