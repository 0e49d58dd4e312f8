import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { INTERNAL_DOMAIN } from './internal.js';
import { dequantizeNBits } from './nbits-util.js';

/** The weight half of MatMulNBits: Wᵀ [K, N] in float32, computed on the host. */
export const DequantizeNBits: Kernel = {
  opType: 'DequantizeNBits',
  domain: INTERNAL_DOMAIN,
  run: (ctx) => {
    const weights = dequantizeNBits(ctx, ctx.host(0), ctx.host(1), ctx.has(2) ? ctx.host(2) : undefined);
    return [deviceValue(tf.tensor2d(weights, [ctx.attrInt('K', 0), ctx.attrInt('N', 0)]), 'float32')];
  },
  inferShapes: (ctx) => [[ctx.attrInt('K', 0), ctx.attrInt('N', 0)]],
};
