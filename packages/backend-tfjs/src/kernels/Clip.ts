import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

/** min(max(x, lo), hi): when lo > hi every element becomes hi, as ONNX specifies. */
export const Clip: Kernel = {
  opType: 'Clip',
  run: (ctx) => {
    let y = ctx.tensor(0);
    if (ctx.opset < 11) {
      y = tf.minimum(tf.maximum(y, ctx.attrFloat('min', -Infinity)), ctx.attrFloat('max', Infinity));
    } else {
      if (ctx.has(1)) y = tf.maximum(y, ctx.tensor(1));
      if (ctx.has(2)) y = tf.minimum(y, ctx.tensor(2));
    }
    return [deviceValue(y, ctx.dtype(0))];
  },
  inferShapes: sameShape,
};
