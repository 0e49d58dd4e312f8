import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, hostNumbers } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

/** Keeps the upper (or lower) triangle of the last two dims, offset by k diagonals. */
export const Trilu: Kernel = {
  opType: 'Trilu',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const [rows, cols] = [dims[dims.length - 2]!, dims[dims.length - 1]!];
    const k = ctx.has(1) ? hostNumbers(ctx.host(1))[0]! : 0;
    const diff = tf.sub(tf.reshape(tf.range(0, cols, 1, 'int32'), [1, cols]), tf.reshape(tf.range(0, rows, 1, 'int32'), [rows, 1]));
    const keep = ctx.attrInt('upper', 1) === 1 ? tf.greaterEqual(diff, k) : tf.lessEqual(diff, k);
    const x = ctx.tensor(0);
    return [deviceValue(tf.where(tf.broadcastTo(keep, dims as number[]), x, tf.zerosLike(x)), ctx.dtype(0))];
  },
  inferShapes: sameShape,
};
