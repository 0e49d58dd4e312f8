import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { matmul } from './MatMul.js';

/** (A − a_zero_point) · (B − b_zero_point) in int32; float32 holds the products exactly for 8-bit inputs of moderate K. */
export const MatMulInteger: Kernel = {
  opType: 'MatMulInteger',
  run: (ctx) => {
    let a = toFloat(ctx.tensor(0));
    let b = toFloat(ctx.tensor(1));
    if (ctx.has(2)) {
      const zp = toFloat(ctx.tensor(2));
      a = tf.sub(a, zp.rank === 1 && zp.size > 1 ? tf.reshape(zp, [-1, 1]) : zp);
    }
    if (ctx.has(3)) b = tf.sub(b, toFloat(ctx.tensor(3)));
    return [deviceValue(toInt(tf.round(matmul(a, b))), 'int32')];
  },
};
