import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel, KernelContext, ShapeContext } from './types.js';
import { axesOf, normalizeAxis } from './util.js';

function squeezed(dims: readonly number[], ctx: KernelContext | ShapeContext, axes: number[] | undefined): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => normalizeAxis(a, dims.length, ctx.node)));
  return dims.filter((_, i) => !drop.has(i));
}

export const Squeeze: Kernel = {
  opType: 'Squeeze',
  run: (ctx) => [deviceValue(tf.reshape(ctx.tensor(0), squeezed(ctx.dims(0), ctx, axesOf(ctx, 1))), ctx.dtype(0))],
  inferShapes: (ctx) => {
    const s = ctx.shape(0);
    if (!s || (ctx.has(1) && !ctx.constant(1))) return [undefined];
    return [squeezed(s, ctx, axesOf(ctx, 1))];
  },
};
