import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, tfDtypeOf } from '../runtime/value.js';
import { sliceFast } from './slice-util.js';
import type { Kernel, KernelContext, ShapeContext } from './types.js';
import { normalizeAxis } from './util.js';

interface AxisSlice {
  start: number;
  end: number;
  step: number;
  size: number;
}

/** ONNX's clamping rules, per axis; axes not named keep their full extent. */
export function sliceAxes(dims: readonly number[], starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined, ctx: KernelContext | ShapeContext): AxisSlice[] {
  const out: AxisSlice[] = dims.map((d) => ({ start: 0, end: d, step: 1, size: d }));
  starts.forEach((rawStart, i) => {
    const axis = normalizeAxis(axes?.[i] ?? i, dims.length, ctx.node);
    const dim = dims[axis]!;
    const step = steps?.[i] ?? 1;
    let start = rawStart < 0 ? rawStart + dim : rawStart;
    let end = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    const size = Math.max(0, Math.ceil((end - start) / step));
    out[axis] = { start, end, step, size };
  });
  return out;
}

function sliceParams(ctx: KernelContext | ShapeContext, read: (i: number) => number[] | undefined) {
  if (ctx.opset < 10) return { starts: ctx.attrInts('starts'), ends: ctx.attrInts('ends'), axes: ctx.attrInts('axes'), steps: undefined };
  return {
    starts: read(1),
    ends: read(2),
    axes: ctx.has(3) ? read(3) : undefined,
    steps: ctx.has(4) ? read(4) : undefined,
    missing: (ctx.has(3) && !read(3)) || (ctx.has(4) && !read(4)),
  };
}

export const Slice: Kernel = {
  opType: 'Slice',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const p = sliceParams(ctx, (i) => ctx.numbers(i));
    const slices = sliceAxes(dims, p.starts ?? [], p.ends ?? [], p.axes, p.steps, ctx);
    const x = ctx.tensor(0);
    const shape = slices.map((s) => s.size);
    if (shape.some((d) => d === 0)) return [deviceValue(tf.zeros(shape, tfDtypeOf(ctx.dtype(0))), ctx.dtype(0))];
    // Negative steps walk a reversed axis forwards (tfjs's stridedSlice end masks differ between engines).
    const reversed = slices.flatMap((sl, axis) => (sl.step < 0 ? [axis] : []));
    const source = reversed.length > 0 ? tf.reverse(x, reversed) : x;
    const begin = slices.map((sl, axis) => (sl.step < 0 ? dims[axis]! - 1 - sl.start : sl.start));
    const steps = slices.map((sl) => Math.abs(sl.step));
    const result = steps.every((st) => st === 1)
      ? sliceFast(source, begin, shape)
      : tf.stridedSlice(source, begin, begin.map((b, i) => b + (shape[i]! - 1) * steps[i]! + 1), steps);
    return [deviceValue(result, ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const dims = ctx.shape(0);
    const p = sliceParams(ctx, (i) => ctx.constant(i));
    if (!dims || !p.starts || !p.ends || ('missing' in p && p.missing)) return [undefined];
    return [sliceAxes(dims, p.starts, p.ends, p.axes, p.steps, ctx).map((s) => s.size)];
  },
};
