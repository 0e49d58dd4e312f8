import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, hostNumbers } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { normalizeAxis, sameShape } from './util.js';

export const CumSum: Kernel = {
  opType: 'CumSum',
  run: (ctx) => {
    const axis = normalizeAxis(hostNumbers(ctx.host(1))[0]!, ctx.dims(0).length, ctx.node);
    const y = tf.cumsum(ctx.tensor(0), axis, ctx.attrInt('exclusive', 0) === 1, ctx.attrInt('reverse', 0) === 1);
    return [deviceValue(y, ctx.dtype(0))];
  },
  inferShapes: sameShape,
};
