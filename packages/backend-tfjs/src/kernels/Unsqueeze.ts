import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel, KernelContext, ShapeContext } from './types.js';
import { axesOf, normalizeAxis } from './util.js';

function unsqueezed(dims: readonly number[], ctx: KernelContext | ShapeContext, axes: number[] | undefined): number[] {
  if (!axes) throw new SamClipError('MODEL_DECODE', `Unsqueeze node "${ctx.node.name}" has no axes.`, { node: ctx.node.name });
  const rank = dims.length + axes.length;
  const inserted = new Set(axes.map((a) => normalizeAxis(a, rank, ctx.node)));
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) out.push(inserted.has(i) ? 1 : dims[next++]!);
  return out;
}

export const Unsqueeze: Kernel = {
  opType: 'Unsqueeze',
  run: (ctx) => [deviceValue(tf.reshape(ctx.tensor(0), unsqueezed(ctx.dims(0), ctx, axesOf(ctx, 1))), ctx.dtype(0))],
  inferShapes: (ctx) => {
    const s = ctx.shape(0);
    if (!s || (ctx.has(1) && !ctx.constant(1))) return [undefined];
    return [unsqueezed(s, ctx, axesOf(ctx, 1))];
  },
};
