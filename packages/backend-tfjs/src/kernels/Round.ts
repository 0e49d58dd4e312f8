import * as tf from '@tensorflow/tfjs-core';
import { unaryKernel } from './util.js';

/** tf.round rounds half to even, as ONNX Round requires. */
export const Round = unaryKernel('Round', (x) => tf.round(x));
