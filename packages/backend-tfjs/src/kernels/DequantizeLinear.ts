import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toFloat } from './tensor-util.js';
import type { Kernel } from './types.js';
import { expandQuantParam } from './quant-util.js';
import { sameShape } from './util.js';

/** (x − zero_point) · scale; on weights this folds at load, so quantized models compute in float. */
export const DequantizeLinear: Kernel = {
  opType: 'DequantizeLinear',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const x = toFloat(ctx.tensor(0));
    const scale = expandQuantParam(ctx.tensor(1), dims, ctx);
    const shifted = ctx.has(2) ? tf.sub(x, expandQuantParam(toFloat(ctx.tensor(2)), dims, ctx)) : x;
    return [deviceValue(tf.mul(shifted, scale), ctx.dtype(1))];
  },
  inferShapes: sameShape,
};
