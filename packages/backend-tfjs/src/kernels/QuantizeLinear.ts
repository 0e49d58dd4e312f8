import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { dtypeFromCode } from '../runtime/initializer.js';
import { toFloat } from './tensor-util.js';
import type { Kernel } from './types.js';
import { expandQuantParam, saturate } from './quant-util.js';
import { sameShape } from './util.js';

/** saturate(round_half_even(x / scale) + zero_point). */
export const QuantizeLinear: Kernel = {
  opType: 'QuantizeLinear',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const outputDtype = ctx.attrInt('output_dtype', 0);
    const dtype = ctx.has(2) ? ctx.dtype(2) : outputDtype ? dtypeFromCode(outputDtype) : 'uint8';
    let y = tf.round(tf.div(toFloat(ctx.tensor(0)), expandQuantParam(toFloat(ctx.tensor(1)), dims, ctx)));
    if (ctx.has(2)) y = tf.add(y, expandQuantParam(toFloat(ctx.tensor(2)), dims, ctx));
    return [deviceValue(saturate(y, dtype, ctx), dtype)];
  },
  inferShapes: sameShape,
};
