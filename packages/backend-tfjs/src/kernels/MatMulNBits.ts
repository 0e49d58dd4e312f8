import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { matmul } from './MatMul.js';
import { dequantizeNBits } from './nbits-util.js';

/**
 * com.microsoft MatMulNBits: A · dequantize(B)ᵀ (+ bias). The compiler splits it into
 * DequantizeNBits (folded at load when the weights are initializers) and MatMul, so this whole-op
 * kernel only runs when the weights are computed at run time.
 */
export const MatMulNBits: Kernel = {
  opType: 'MatMulNBits',
  domain: 'com.microsoft',
  run: (ctx) => {
    const weights = dequantizeNBits(ctx, ctx.host(1), ctx.host(2), ctx.has(3) ? ctx.host(3) : undefined);
    let y = matmul(ctx.tensor(0), tf.tensor2d(weights, [ctx.attrInt('K', 0), ctx.attrInt('N', 0)]));
    if (ctx.has(5)) y = tf.add(y, ctx.tensor(5));
    return [deviceValue(y, ctx.dtype(0))];
  },
  inferShapes: (ctx) => [ctx.shape(0) && [...ctx.shape(0)!.slice(0, -1), ctx.attrInt('N', 0)]],
};
