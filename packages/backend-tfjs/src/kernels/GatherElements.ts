import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { wrapIndices } from './Gather.js';
import { normalizeAxis } from './util.js';

/** tfjs has no gather_elements: builds flat indices (coordinates along the other axes, the given index along `axis`) and gathers from the flattened input. */
export const GatherElements: Kernel = {
  opType: 'GatherElements',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const indexDims = ctx.dims(1);
    const axis = normalizeAxis(ctx.attrInt('axis', 0), dims.length, ctx.node);
    const indices = wrapIndices(ctx.tensor(1), dims[axis]!);
    let flat: tf.Tensor = tf.zeros(indexDims, 'int32');
    let stride = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      const broadcastShape = indexDims.map((n, i) => (i === d ? n : 1));
      const coordinate = d === axis ? indices : tf.reshape(tf.range(0, indexDims[d]!, 1, 'int32'), broadcastShape);
      flat = tf.add(flat, tf.mul(coordinate, tf.scalar(stride, 'int32')));
      stride *= dims[d]!;
    }
    return [deviceValue(tf.gather(tf.reshape(ctx.tensor(0), [-1]), flat), ctx.dtype(0))];
  },
  inferShapes: (ctx) => [ctx.shape(1)],
};
