import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

export const LeakyRelu = unaryKernel('LeakyRelu', (x, ctx) => tf.leakyRelu(x, ctx.attrFloat('alpha', 0.01)));
