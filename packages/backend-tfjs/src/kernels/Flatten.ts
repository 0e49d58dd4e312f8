import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, elementCount } from '../runtime/value.js';
import type { Kernel } from './types.js';

function flatShape(dims: readonly number[], axis: number): number[] {
  const a = axis < 0 ? axis + dims.length : axis;
  return [elementCount(dims.slice(0, a)), elementCount(dims.slice(a))];
}

export const Flatten: Kernel = {
  opType: 'Flatten',
  run: (ctx) => [deviceValue(tf.reshape(ctx.tensor(0), flatShape(ctx.dims(0), ctx.attrInt('axis', 1))), ctx.dtype(0))],
  inferShapes: (ctx) => {
    const s = ctx.shape(0);
    return [s && flatShape(s, ctx.attrInt('axis', 1))];
  },
};
