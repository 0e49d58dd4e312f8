import * as tf from '@tensorflow/tfjs-core';
import { reduceKernel } from './reduce-util.js';

export const ReduceLogSumExp = reduceKernel('ReduceLogSumExp', (x, axes, keep) => tf.logSumExp(x, axes, keep), { floatOnly: true });
