import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { engineMatMul } from './matmul-util.js';
import { toFloat } from './tensor-util.js';
import type { Kernel } from './types.js';

/** alpha · op(A) · op(B) + beta · C, with C broadcast to [M, N]. */
export const Gemm: Kernel = {
  opType: 'Gemm',
  run: (ctx) => {
    const transA = ctx.attrInt('transA', 0) === 1;
    const transB = ctx.attrInt('transB', 0) === 1;
    const alpha = ctx.attrFloat('alpha', 1);
    const beta = ctx.attrFloat('beta', 1);
    let y = engineMatMul(toFloat(ctx.tensor(0)), toFloat(ctx.tensor(1)), transA, transB);
    if (alpha !== 1) y = tf.mul(y, alpha);
    if (ctx.has(2)) {
      const c = toFloat(ctx.tensor(2));
      y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
    }
    return [deviceValue(y, ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const a = ctx.shape(0);
    const b = ctx.shape(1);
    if (!a || !b) return [undefined];
    const m = ctx.attrInt('transA', 0) ? a[1]! : a[0]!;
    const n = ctx.attrInt('transB', 0) ? b[0]! : b[1]!;
    return [[m, n]];
  },
};
