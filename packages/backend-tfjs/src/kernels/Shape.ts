import type { Kernel, KernelContext, ShapeContext } from './types.js';
import { hostFromNumbers, hostValue } from '../runtime/value.js';

function range(rank: number, ctx: KernelContext | ShapeContext): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(ctx.attrInt('start', 0)), clamp(ctx.attrInt('end') ?? rank)];
}

/** Reads only the input's dims, so the planner folds it whenever the input shape is static. */
export const Shape: Kernel = {
  opType: 'Shape',
  shapeOnly: true,
  run: (ctx) => {
    const dims = ctx.dims(0);
    const [start, end] = range(dims.length, ctx);
    const slice = dims.slice(start, Math.max(start, end));
    return [hostValue(hostFromNumbers('int64', [slice.length], slice))];
  },
  inferShapes: (ctx) => {
    const s = ctx.shape(0);
    if (!s) return [undefined];
    const [start, end] = range(s.length, ctx);
    return [[Math.max(0, end - start)]];
  },
};
