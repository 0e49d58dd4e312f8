/**
 * Transposed convolution as an ordinary convolution: insert stride−1 zeros between input samples,
 * pad by (effective kernel − 1 − pad), and convolve with the spatially flipped kernel. This covers
 * every spatial rank, group, dilation and output_padding that tf.conv2dTranspose does not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sliceFast } from './slice-util.js';
import type { KernelContext, ShapeContext } from './types.js';
import { convChannelsLast } from './conv-util.js';

export interface ConvTransposePlan {
  strides: number[];
  dilations: number[];
  group: number;
  /** Pads of the equivalent convolution (may be negative: crop). */
  begin: number[];
  end: number[];
  outSpatial: number[];
}

export function convTransposePlan(ctx: KernelContext | ShapeContext, spatial: readonly number[], kernel: readonly number[]): ConvTransposePlan {
  const n = spatial.length;
  const strides = ctx.attrInts('strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.attrInts('dilations') ?? new Array<number>(n).fill(1);
  const outputPadding = ctx.attrInts('output_padding') ?? new Array<number>(n).fill(0);
  const autoPad = (ctx.node.attributes.find((a) => a.name === 'auto_pad')?.value.value as string | undefined) ?? 'NOTSET';
  let outputShape = ctx.attrInts('output_shape');
  if (outputShape && outputShape.length > n) outputShape = outputShape.slice(-n);
  let pads = ctx.attrInts('pads') ?? new Array<number>(2 * n).fill(0);
  const effective = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  if (!outputShape && (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER')) outputShape = spatial.map((s, i) => s * strides[i]!);
  if (outputShape) {
    const target = outputShape;
    pads = new Array<number>(2 * n).fill(0);
    spatial.forEach((size, i) => {
      const total = strides[i]! * (size - 1) + outputPadding[i]! + effective[i]! - target[i]!;
      const half = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      pads[i + n] = total - pads[i]!;
    });
  }
  const outSpatial = spatial.map((size, i) => strides[i]! * (size - 1) + outputPadding[i]! + effective[i]! - pads[i]! - pads[i + n]!);
  return {
    strides,
    dilations,
    group: (ctx.attrInt('group') ?? 1),
    begin: effective.map((e, i) => e - 1 - pads[i]!),
    end: effective.map((e, i) => e - 1 - pads[i + n]! + outputPadding[i]!),
    outSpatial,
  };
}

/** The tensor viewed as [before axis, axis, after axis]: rank 3 whatever the input rank. */
function aroundAxis(x: tf.Tensor, axis: number): tf.Tensor3D {
  const shape = x.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return tf.reshape(x, [outer, shape[axis]!, inner]);
}

/**
 * Zero-pads one axis. Done on the rank-3 view because tfjs-webgl's packed pad shader does not
 * compile for rank 5 and above (it compares its ivec5 struct with lessThan), which the rank-5
 * lifted tensor of the stride dilation below would need.
 */
function padAxis(x: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  if (before === 0 && after === 0) return x;
  const padded = tf.pad(aroundAxis(x, axis), [[0, 0], [before, after], [0, 0]]);
  return tf.reshape(padded, x.shape.map((d, i) => (i === axis ? d + before + after : d)));
}

/** Inserts stride−1 zeros between samples along each spatial axis of a channels-last tensor. */
function dilateInput(x: tf.Tensor, strides: readonly number[]): tf.Tensor {
  let out = x;
  strides.forEach((s, i) => {
    if (s === 1) return;
    const axis = i + 1;
    const shape = out.shape;
    const size = shape[axis]!;
    // Each sample followed by s−1 zeros: [outer·size, 1, inner] padded to [outer·size, s, inner],
    // then the trailing zeros after the last sample cut off in the [outer, size·s, inner] view.
    const view = aroundAxis(out, axis);
    const [outer, , inner] = view.shape;
    const spread = tf.pad(tf.reshape(view, [outer * size, 1, inner]), [[0, 0], [0, s - 1], [0, 0]]);
    const kept = sliceFast(tf.reshape(spread, [outer, size * s, inner]), [0, 0, 0], [outer, (size - 1) * s + 1, inner]);
    out = tf.reshape(kept, shape.map((d, j) => (j === axis ? (size - 1) * s + 1 : d)));
  });
  return out;
}

/** x: [N, ...spatial, C] channels-last; weights: ONNX [C, M/g, ...kernel]. Returns [N, ...out, M]. */
export function convTransposeChannelsLast(x: tf.Tensor, weights: tf.Tensor, bias: tf.Tensor | undefined, plan: ConvTransposePlan): tf.Tensor {
  const spatialRank = x.rank - 2;
  const spatialAxes = Array.from({ length: spatialRank }, (_, i) => i);
  // [C, M/g, ...k] → [...k, C, M/g], flipped spatially; per group: [...k, C/g, M/g].
  const filter = tf.reverse(tf.transpose(weights, [...spatialAxes.map((i) => i + 2), 0, 1]), spatialAxes);
  const upsampled = dilateInput(x, plan.strides);
  const padded = plan.begin.reduce((t, b, i) => padAxis(t, i + 1, Math.max(0, b), Math.max(0, plan.end[i]!)), upsampled);
  const conv = (input: tf.Tensor, f: tf.Tensor) =>
    convChannelsLast(input, f, undefined, { strides: plan.strides.map(() => 1), dilations: plan.dilations, pads: new Array<number>(2 * spatialRank).fill(0), group: 1 });
  const channelAxis = spatialRank + 1;
  let y: tf.Tensor;
  if (plan.group === 1) y = conv(padded, filter);
  else {
    const xs = tf.split(padded, plan.group, channelAxis);
    const fs = tf.split(filter, plan.group, spatialRank);
    y = tf.concat(xs.map((xi, g) => conv(xi, fs[g]!)), channelAxis);
  }
  if (plan.begin.some((b) => b < 0) || plan.end.some((e) => e < 0)) {
    const begin = [0, ...plan.begin.map((b) => Math.max(0, -b)), 0];
    y = sliceFast(y, begin, [y.shape[0]!, ...plan.outSpatial, y.shape[channelAxis]!]);
  }
  return bias ? tf.add(y, bias) : y;
}
