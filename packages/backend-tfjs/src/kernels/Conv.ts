import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { convAttributes, convChannelsLast, toChannelsFirst, toChannelsLast, weightsToChannelsLast } from './conv-util.js';
import { convOutputShape } from './conv-shape.js';

/**
 * ONNX Conv on channels-first data. The layout pass turns 2-D convolutions into ConvNHWC with
 * pre-transposed weights; this kernel covers what the pass leaves (1-D, 3-D, unknown shapes).
 */
export const Conv: Kernel = {
  opType: 'Conv',
  run: (ctx) => {
    const rank = ctx.dims(0).length;
    const w = ctx.dims(1);
    const attrs = convAttributes(ctx, ctx.dims(0).slice(2), w.slice(2));
    const x = tf.transpose(ctx.tensor(0), toChannelsLast(rank));
    const filter = tf.transpose(ctx.tensor(1), weightsToChannelsLast(rank));
    const y = convChannelsLast(x, filter, ctx.has(2) ? ctx.tensor(2) : undefined, attrs);
    return [deviceValue(tf.transpose(y, toChannelsFirst(rank)), ctx.dtype(0))];
  },
  inferShapes: (ctx) => [convOutputShape(ctx, false)],
};
