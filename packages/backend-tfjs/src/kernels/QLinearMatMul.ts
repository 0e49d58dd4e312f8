import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toFloat } from './tensor-util.js';
import type { Kernel } from './types.js';
import { matmul } from './MatMul.js';
import { saturate } from './quant-util.js';

/** Dequantize both operands, multiply in float, requantize to y's scale and zero point. */
export const QLinearMatMul: Kernel = {
  opType: 'QLinearMatMul',
  run: (ctx) => {
    const dequant = (x: number, scale: number, zp: number, row: boolean) => {
      const shift = (t: tf.Tensor) => (t.rank === 1 && t.size > 1 ? tf.reshape(t, row ? [-1, 1] : [1, -1]) : t);
      return tf.mul(tf.sub(toFloat(ctx.tensor(x)), shift(toFloat(ctx.tensor(zp)))), shift(toFloat(ctx.tensor(scale))));
    };
    const product = matmul(dequant(0, 1, 2, true), dequant(3, 4, 5, false));
    const y = tf.add(tf.round(tf.div(product, toFloat(ctx.tensor(6)))), toFloat(ctx.tensor(7)));
    const dtype = ctx.dtype(7);
    return [deviceValue(saturate(y, dtype, ctx), dtype)];
  },
};
