import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './types.js';
import { deviceValue } from '../runtime/value.js';
import { broadcastShape } from './util.js';

/** fmod=0: result takes the divisor's sign (tf.mod); fmod=1: the dividend's sign (C fmod). */
export const Mod: Kernel = {
  opType: 'Mod',
  run: (ctx) => {
    const a = ctx.tensor(0);
    const b = ctx.tensor(1);
    const result = ctx.attrInt('fmod', 0) ? tf.mul(tf.mod(tf.abs(a), tf.abs(b)), tf.sign(a)) : tf.mod(a, b);
    return [deviceValue(result, ctx.dtype(0))];
  },
  inferShapes: broadcastShape,
};
