/**
 * Pooling on channels-first data as a sweep over kernel offsets: each offset contributes one
 * strided slice of the padded input, combined by max or sum. This covers every ONNX pooling
 * variant (any spatial rank, dilations, asymmetric pads, ceil_mode, count_include_pad, argmax
 * indices) that tfjs's fixed pooling kernels do not.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelContext } from './types.js';

export interface PoolGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  begin: number[];
  end: number[];
  /** Extra end padding so ceil_mode's last window fits (never counted as input). */
  extra: number[];
  out: number[];
}

export function poolGeometry(ctx: KernelContext, spatial: readonly number[]): PoolGeometry {
  const n = spatial.length;
  const kernel = ctx.attrInts('kernel_shape') ?? [];
  const strides = ctx.attrInts('strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.attrInts('dilations') ?? new Array<number>(n).fill(1);
  const pads = ctx.attrInts('pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = ctx.attrString('auto_pad', 'NOTSET');
  const ceil = ctx.attrInt('ceil_mode', 0) === 1;
  const begin: number[] = [];
  const end: number[] = [];
  const extra: number[] = [];
  const out: number[] = [];
  spatial.forEach((size, i) => {
    const effective = (kernel[i]! - 1) * dilations[i]! + 1;
    let b = pads[i]!;
    let e = pads[i + n]!;
    let o: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      o = Math.ceil(size / strides[i]!);
      const total = Math.max(0, (o - 1) * strides[i]! + effective - size);
      b = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      e = total - b;
    } else if (autoPad === 'VALID') {
      b = 0;
      e = 0;
      o = Math.floor((size - effective) / strides[i]!) + 1;
    } else {
      const span = size + b + e - effective;
      o = (ceil ? Math.ceil(span / strides[i]!) : Math.floor(span / strides[i]!)) + 1;
      // A window must start inside the input or its begin padding.
      if (ceil && (o - 1) * strides[i]! >= size + b) o -= 1;
    }
    begin.push(b);
    end.push(e);
    extra.push(Math.max(0, (o - 1) * strides[i]! + effective - (size + b + e)));
    out.push(o);
  });
  return { kernel, strides, dilations, begin, end, extra, out };
}

function* offsets(kernel: readonly number[]): Generator<number[]> {
  const total = kernel.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    const o: number[] = [];
    let rest = flat;
    for (let i = kernel.length - 1; i >= 0; i--) {
      o[i] = rest % kernel[i]!;
      rest = Math.floor(rest / kernel[i]!);
    }
    yield o;
  }
}

function windowSlice(padded: tf.Tensor, g: PoolGeometry, offset: readonly number[]): tf.Tensor {
  const begin = [0, 0, ...offset.map((o, i) => o * g.dilations[i]!)];
  const end = [padded.shape[0]!, padded.shape[1]!, ...offset.map((o, i) => o * g.dilations[i]! + (g.out[i]! - 1) * g.strides[i]! + 1)];
  return tf.stridedSlice(padded, begin, end, [1, 1, ...g.strides]);
}

function padSpatial(x: tf.Tensor, g: PoolGeometry, value: number, includeExtra = true): tf.Tensor {
  const padding: Array<[number, number]> = [[0, 0], [0, 0], ...g.begin.map((b, i) => [b, g.end[i]! + (includeExtra ? g.extra[i]! : 0)] as [number, number])];
  return tf.pad(x, padding, value);
}

export function maxPool(x: tf.Tensor, g: PoolGeometry): { values: tf.Tensor; indices?: tf.Tensor } {
  const padded = padSpatial(x, g, -Infinity);
  let best: tf.Tensor | undefined;
  for (const o of offsets(g.kernel)) {
    const slice = windowSlice(padded, g, o);
    best = best ? tf.maximum(best, slice) : slice;
  }
  return { values: best! };
}

/** Flat NCHW indices of each window maximum (first on ties), as MaxPool's second output. */
export function maxPoolIndices(x: tf.Tensor, g: PoolGeometry, storageOrder: number): tf.Tensor {
  const padded = padSpatial(x, g, -Infinity);
  const spatial = x.shape.slice(2);
  const n = spatial.length;
  let best: tf.Tensor | undefined;
  let index: tf.Tensor | undefined;
  for (const o of offsets(g.kernel)) {
    const slice = windowSlice(padded, g, o);
    // Input coordinate of this window element along each spatial axis, broadcast to the output.
    let flat: tf.Tensor = tf.mul(tf.add(tf.mul(tf.reshape(tf.range(0, x.shape[0]!, 1, 'int32'), [-1, 1, ...new Array<number>(n).fill(1)]), x.shape[1]!), tf.reshape(tf.range(0, x.shape[1]!, 1, 'int32'), [1, -1, ...new Array<number>(n).fill(1)])), spatial.reduce((a, b) => a * b, 1));
    const strides = storageOrder === 1 ? spatial.map((_, i) => spatial.slice(0, i).reduce((a, b) => a * b, 1)) : spatial.map((_, i) => spatial.slice(i + 1).reduce((a, b) => a * b, 1));
    spatial.forEach((_, i) => {
      const coord = tf.sub(tf.add(tf.mul(tf.range(0, g.out[i]!, 1, 'int32'), g.strides[i]!), o[i]! * g.dilations[i]!), g.begin[i]!);
      const shape = [1, 1, ...spatial.map((__, j) => (j === i ? g.out[i]! : 1))];
      flat = tf.add(flat, tf.mul(tf.reshape(coord, shape), strides[i]!));
    });
    if (!best || !index) {
      best = slice;
      index = tf.broadcastTo(flat, slice.shape);
    } else {
      const better = tf.greater(slice, best);
      best = tf.where(better, slice, best);
      index = tf.where(better, tf.broadcastTo(flat, slice.shape), index);
    }
  }
  return tf.cast(index!, 'int32');
}

export function averagePool(x: tf.Tensor, g: PoolGeometry, countIncludePad: boolean): tf.Tensor {
  const padded = padSpatial(x, g, 0);
  let sum: tf.Tensor | undefined;
  for (const o of offsets(g.kernel)) {
    const slice = windowSlice(padded, g, o);
    sum = sum ? tf.add(sum, slice) : slice;
  }
  // Divisor per window: how many of its elements are input (plus explicit padding when counted).
  const ones = tf.ones([1, 1, ...x.shape.slice(2)]);
  const counted = countIncludePad
    ? tf.pad(tf.pad(ones, [[0, 0], [0, 0], ...g.begin.map((b, i) => [b, g.end[i]!] as [number, number])], 1), [[0, 0], [0, 0], ...g.extra.map((e) => [0, e] as [number, number])], 0)
    : padSpatial(ones, g, 0);
  let count: tf.Tensor | undefined;
  for (const o of offsets(g.kernel)) {
    const slice = windowSlice(counted, g, o);
    count = count ? tf.add(count, slice) : slice;
  }
  return tf.div(sum!, count!);
}
