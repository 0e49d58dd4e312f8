import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { normalizeAxis } from './util.js';

/** Normalises over axes [axis, rank); also returns Mean and InvStdDev (kept dims) when asked for. */
export const LayerNormalization: Kernel = {
  opType: 'LayerNormalization',
  run: (ctx) => {
    const x = ctx.tensor(0);
    const rank = ctx.dims(0).length;
    const axis = normalizeAxis(ctx.attrInt('axis', -1), rank, ctx.node);
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const mean = tf.mean(x, axes, true);
    const centered = tf.sub(x, mean);
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), ctx.attrFloat('epsilon', 1e-5)));
    let y = tf.mul(tf.mul(centered, invStd), ctx.tensor(1));
    if (ctx.has(2)) y = tf.add(y, ctx.tensor(2));
    const dtype = ctx.dtype(0);
    return [deviceValue(y, dtype), deviceValue(mean, 'float32'), deviceValue(invStd, 'float32')];
  },
  inferShapes: (ctx) => {
    const s = ctx.shape(0);
    if (!s) return [undefined];
    const axis = normalizeAxis(ctx.attrInt('axis', -1), s.length, ctx.node);
    const stats = s.map((d, i) => (i < axis ? d : 1));
    return [s, stats, stats];
  },
};
