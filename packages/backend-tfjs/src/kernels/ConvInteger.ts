import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { convAttributes, convChannelsLast, toChannelsFirst, toChannelsLast, weightsToChannelsLast } from './conv-util.js';

/** Conv of (x − x_zero_point) with (w − w_zero_point), in int32; padding is by zero after the shift, as ONNX specifies. */
export const ConvInteger: Kernel = {
  opType: 'ConvInteger',
  run: (ctx) => {
    const rank = ctx.dims(0).length;
    const w = ctx.dims(1);
    const attrs = convAttributes(ctx, ctx.dims(0).slice(2), w.slice(2));
    let x = toFloat(ctx.tensor(0));
    let filter = toFloat(ctx.tensor(1));
    if (ctx.has(2)) x = tf.sub(x, toFloat(ctx.tensor(2)));
    if (ctx.has(3)) {
      const zp = toFloat(ctx.tensor(3));
      filter = tf.sub(filter, zp.size > 1 ? tf.reshape(zp, [-1, ...new Array<number>(rank - 1).fill(1)]) : zp);
    }
    const y = convChannelsLast(tf.transpose(x, toChannelsLast(rank)), tf.transpose(filter, weightsToChannelsLast(rank)), undefined, attrs);
    return [deviceValue(toInt(tf.round(tf.transpose(y, toChannelsFirst(rank)))), 'int32')];
  },
};
