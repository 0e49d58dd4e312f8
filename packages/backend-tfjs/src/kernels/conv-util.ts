/**
 * Convolution on channels-last tensors (tfjs's native layout). Spatial rank 1 runs as 2-D with a
 * unit height, rank 3 as conv3d; groups map to depthwise convolution or per-group convolutions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import type { KernelContext } from './types.js';

export interface ConvAttributes {
  strides: number[];
  dilations: number[];
  /** [begin..., end...] per spatial axis, after auto_pad resolution. */
  pads: number[];
  group: number;
}

/** Resolves auto_pad (SAME_UPPER / SAME_LOWER / VALID) into explicit pads for the given input and kernel sizes. */
export function convAttributes(ctx: KernelContext, spatial: readonly number[], kernel: readonly number[]): ConvAttributes {
  const n = spatial.length;
  const strides = ctx.attrInts('strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.attrInts('dilations') ?? new Array<number>(n).fill(1);
  const autoPad = ctx.attrString('auto_pad', 'NOTSET');
  let pads = ctx.attrInts('pads') ?? new Array<number>(2 * n).fill(0);
  if (autoPad === 'VALID') pads = new Array<number>(2 * n).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * n).fill(0);
    spatial.forEach((size, i) => {
      const effective = (kernel[i]! - 1) * dilations[i]! + 1;
      const total = Math.max(0, (Math.ceil(size / strides[i]!) - 1) * strides[i]! + effective - size);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    });
  }
  return { strides, dilations, pads, group: ctx.attrInt('group', 1) };
}

function conv2dGroup(x: tf.Tensor4D, filter: tf.Tensor4D, a: ConvAttributes, depthwise: boolean): tf.Tensor4D {
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [a.pads[0]!, a.pads[2]!], [a.pads[1]!, a.pads[3]!], [0, 0]];
  const strides: [number, number] = [a.strides[0]!, a.strides[1]!];
  const dilations: [number, number] = [a.dilations[0]!, a.dilations[1]!];
  if (depthwise) {
    const [kh, kw, , out] = filter.shape;
    const channels = x.shape[3];
    const padded = tf.pad(x, pad);
    return tf.depthwiseConv2d(padded, tf.reshape(filter, [kh, kw, channels, out / channels]), strides, 'valid', 'NHWC', dilations);
  }
  return tf.conv2d(x, filter, strides, pad, 'NHWC', dilations);
}

/**
 * x: [N, ...spatial, C]; filter: [...kernel, C/group, M]; bias: [M]. Returns [N, ...outSpatial, M].
 */
export function convChannelsLast(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | undefined, a: ConvAttributes): tf.Tensor {
  const spatialRank = x.rank - 2;
  let result: tf.Tensor;
  if (spatialRank === 1) {
    const lifted: ConvAttributes = {
      strides: [1, a.strides[0]!],
      dilations: [1, a.dilations[0]!],
      pads: [0, a.pads[0]!, 0, a.pads[1]!],
      group: a.group,
    };
    const out = convChannelsLast(tf.expandDims(x, 1), tf.expandDims(filter, 0), undefined, lifted);
    result = tf.squeeze(out, [1]);
  } else if (spatialRank === 2) {
    const channels = x.shape[3]!;
    if (a.group === 1) result = conv2dGroup(x as tf.Tensor4D, filter as tf.Tensor4D, a, false);
    else if (a.group === channels && filter.shape[2] === 1) result = conv2dGroup(x as tf.Tensor4D, filter as tf.Tensor4D, a, true);
    else {
      const xs = tf.split(x, a.group, 3);
      const fs = tf.split(filter, a.group, 3);
      result = tf.concat(xs.map((xi, g) => conv2dGroup(xi as tf.Tensor4D, fs[g] as tf.Tensor4D, a, false)), 3);
    }
  } else if (spatialRank === 3) {
    const pad: Array<[number, number]> = [[0, 0], [a.pads[0]!, a.pads[3]!], [a.pads[1]!, a.pads[4]!], [a.pads[2]!, a.pads[5]!], [0, 0]];
    const strides = a.strides as [number, number, number];
    const dilations = a.dilations as [number, number, number];
    const padded = tf.pad(x, pad);
    if (a.group === 1) result = tf.conv3d(padded as tf.Tensor5D, filter as tf.Tensor5D, strides, 'valid', 'NDHWC', dilations);
    else {
      const xs = tf.split(padded, a.group, 4);
      const fs = tf.split(filter, a.group, 4);
      result = tf.concat(xs.map((xi, g) => tf.conv3d(xi as tf.Tensor5D, fs[g] as tf.Tensor5D, strides, 'valid', 'NDHWC', dilations)), 4);
    }
  } else {
    throw new SamClipError('UNSUPPORTED_OP', `Convolution with ${spatialRank} spatial dims is not implemented on TensorFlow.js; use ort-node or ort-wasm.`, { spatialRank });
  }
  return bias ? tf.add(result, bias) : result;
}

/** Channels-first ↔ channels-last permutations for a tensor of the given rank. */
export function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}
export function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}
/** ONNX weights [M, C/g, ...kernel] → tfjs filters [...kernel, C/g, M]. */
export function weightsToChannelsLast(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1, 0];
}
