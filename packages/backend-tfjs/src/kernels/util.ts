/** Small helpers the kernels share: axis normalisation, broadcasting, integer wrap-around and kernel factories. */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import type { DType, Node } from '@samclip/core';
import { deviceValue } from '../runtime/value.js';
import type { Kernel, KernelContext, ShapeContext } from './types.js';

export function normalizeAxis(axis: number, rank: number, node: Node): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) {
    throw new SamClipError('SHAPE', `${node.opType} node "${node.name}": axis ${axis} is out of range for rank ${rank}.`, { node: node.name, axis, rank });
  }
  return a;
}

export function broadcastShapes(shapes: ReadonlyArray<readonly number[]>, node: Node): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new SamClipError('SHAPE', `${node.opType} node "${node.name}": shapes [${shapes.map((x) => x.join(',')).join('] and [')}] do not broadcast.`, { node: node.name });
    }
  }
  return out;
}

const WRAP: Partial<Record<DType, [number, number]>> = {
  int8: [256, 128],
  uint8: [256, 0],
  int16: [65536, 32768],
  uint16: [65536, 0],
};

/** Integer arithmetic wraps like C on narrow types; tfjs computes them in int32. */
export function wrapInteger(t: tf.Tensor, dtype: DType): tf.Tensor {
  const wrap = WRAP[dtype];
  if (!wrap) return t;
  const [modulus, offset] = wrap.map((n) => tf.scalar(n, 'int32')) as [tf.Tensor, tf.Tensor];
  const x = tf.cast(t, 'int32');
  return wrap[1] ? tf.sub(tf.mod(tf.add(x, offset), modulus), offset) : tf.mod(x, modulus);
}

export function sameShape(ctx: ShapeContext): Array<readonly number[] | undefined> {
  return [ctx.shape(0)];
}

export function broadcastShape(ctx: ShapeContext): Array<readonly number[] | undefined> {
  const shapes: Array<readonly number[]> = [];
  for (let i = 0; i < ctx.inputCount; i++) {
    const s = ctx.shape(i);
    if (!s) return [undefined];
    shapes.push(s);
  }
  return [broadcastShapes(shapes, ctx.node)];
}

/** An elementwise op whose output has the input's dtype. */
export function unaryKernel(opType: string, fn: (x: tf.Tensor, ctx: KernelContext) => tf.Tensor): Kernel {
  return {
    opType,
    run: (ctx) => [deviceValue(fn(ctx.tensor(0), ctx), ctx.dtype(0))],
    inferShapes: sameShape,
  };
}

/** A broadcasting binary arithmetic op; narrow integer results wrap around. */
export function arithmeticKernel(opType: string, fn: (a: tf.Tensor, b: tf.Tensor, dtype: DType) => tf.Tensor): Kernel {
  return {
    opType,
    run: (ctx) => {
      const dtype = ctx.dtype(0);
      return [deviceValue(wrapInteger(fn(ctx.tensor(0), ctx.tensor(1), dtype), dtype), dtype)];
    },
    inferShapes: broadcastShape,
  };
}

/** A broadcasting comparison or logical op producing bool. */
export function predicateKernel(opType: string, fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Kernel {
  return {
    opType,
    run: (ctx) => [deviceValue(fn(ctx.tensor(0), ctx.tensor(1)), 'bool')],
    inferShapes: broadcastShape,
  };
}

/** Moves `axis` to the end: returns the permutation and its inverse. */
export function axisToEndPerm(rank: number, axis: number): { perm: number[]; inverse: number[] } {
  const perm = [...Array(rank).keys()].filter((i) => i !== axis).concat(axis);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return { perm, inverse };
}

/** Reads the axes of a reduce, Squeeze or Unsqueeze node from the attribute (old opsets) or the second input (new ones). */
export function axesOf(ctx: KernelContext | ShapeContext, inputIndex: number): number[] | undefined {
  const attr = ctx.attrInts('axes');
  if (attr) return attr;
  if (!ctx.has(inputIndex)) return undefined;
  return 'numbers' in ctx ? ctx.numbers(inputIndex) : ctx.constant(inputIndex);
}
