import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import { deviceValue } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

/** data with slices at `indices` replaced by (or, with reduction="add", incremented by) `updates`. */
export const ScatterND: Kernel = {
  opType: 'ScatterND',
  run: (ctx) => {
    const data = ctx.tensor(0);
    const shape = [...ctx.dims(0)];
    const indices = toInt(ctx.tensor(1));
    const updates = ctx.tensor(2);
    const reduction = ctx.attrString('reduction', 'none');
    const scattered = tf.scatterND(indices, updates, shape);
    if (reduction === 'add') return [deviceValue(tf.add(data, scattered), ctx.dtype(0))];
    if (reduction !== 'none') {
      throw new SamClipError('UNSUPPORTED_OP', `ScatterND node "${ctx.node.name}" uses reduction "${reduction}", which the TensorFlow.js backends do not implement; use ort-node or ort-wasm.`, { node: ctx.node.name });
    }
    const hit = tf.greater(tf.scatterND(indices, toFloat(tf.onesLike(updates)), shape), 0);
    return [deviceValue(tf.where(hit, scattered, data), ctx.dtype(0))];
  },
  inferShapes: sameShape,
};
