import { deviceValue } from '../runtime/value.js';
import { sliceFast } from './slice-util.js';
import type { Kernel, KernelContext, ShapeContext } from './types.js';
import { normalizeAxis } from './util.js';

function splitSizes(dim: number, outputs: number, ctx: KernelContext | ShapeContext, given: number[] | undefined): number[] {
  if (given) return given;
  const parts = ctx.attrInt('num_outputs') ?? outputs;
  const chunk = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

export const Split: Kernel = {
  opType: 'Split',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const axis = normalizeAxis(ctx.attrInt('axis', 0), dims.length, ctx.node);
    const given = ctx.attrInts('split') ?? (ctx.has(1) ? ctx.numbers(1) : undefined);
    const sizes = splitSizes(dims[axis]!, ctx.node.outputs.length, ctx, given);
    const x = ctx.tensor(0);
    let offset = 0;
    return sizes.map((size) => {
      const begin = dims.map((_, i) => (i === axis ? offset : 0));
      const extent = dims.map((d, i) => (i === axis ? size : d));
      offset += size;
      return deviceValue(sliceFast(x, begin, extent), ctx.dtype(0));
    });
  },
  inferShapes: (ctx) => {
    const dims = ctx.shape(0);
    if (!dims || (ctx.has(1) && !ctx.constant(1))) return ctx.node.outputs.map(() => undefined);
    const axis = normalizeAxis(ctx.attrInt('axis', 0), dims.length, ctx.node);
    const given = ctx.attrInts('split') ?? (ctx.has(1) ? ctx.constant(1) : undefined);
    return splitSizes(dims[axis]!, ctx.node.outputs.length, ctx, given).map((size) => dims.map((d, i) => (i === axis ? size : d)));
  },
};
