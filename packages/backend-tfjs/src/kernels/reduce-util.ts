/**
 * Reduce* ops share axes handling: an `axes` attribute before the opset that moved it to an
 * input (13 for ReduceSum, 18 for the rest); empty axes reduce everything unless
 * noop_with_empty_axes is set.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel, KernelContext, ShapeContext } from './types.js';
import { normalizeAxis } from './util.js';

function reduceAxes(ctx: KernelContext | ShapeContext, rank: number, read: (i: number) => number[] | undefined): number[] | null | undefined {
  const attr = ctx.attrInts('axes');
  const given = attr ?? (ctx.has(1) ? read(1) : []);
  if (given === undefined) return undefined;
  if (given.length === 0) return ctx.attrInt('noop_with_empty_axes', 0) ? null : [...Array(rank).keys()];
  return [...new Set(given.map((a) => normalizeAxis(a, rank, ctx.node)))].sort((a, b) => a - b);
}

export function reduceKernel(opType: string, reduce: (x: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor, options: { floatOnly?: boolean } = {}): Kernel {
  return {
    opType,
    run: (ctx) => {
      const dtype = ctx.dtype(0);
      const rank = ctx.dims(0).length;
      const axes = reduceAxes(ctx, rank, (i) => ctx.numbers(i));
      let x = ctx.tensor(0);
      if (axes === null || axes === undefined) return [deviceValue(tf.clone(x), dtype)];
      const keepDims = ctx.attrInt('keepdims', 1) === 1;
      if (x.dtype === 'bool') x = toInt(x);
      else if (options.floatOnly && !isFloatType(dtype)) x = toFloat(x);
      let y = reduce(x, axes, keepDims);
      if (dtype === 'bool') y = tf.notEqual(y, 0);
      else if (!isFloatType(dtype) && y.dtype !== 'int32') y = toInt(tf.round(y));
      return [deviceValue(y, dtype)];
    },
    inferShapes: (ctx) => {
      const s = ctx.shape(0);
      if (!s) return [undefined];
      const axes = reduceAxes(ctx, s.length, (i) => ctx.constant(i));
      if (axes === undefined) return [undefined];
      if (axes === null) return [s];
      const keep = ctx.attrInt('keepdims', 1) === 1;
      return [s.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]))];
    },
  };
}
