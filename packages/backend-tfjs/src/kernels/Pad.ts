import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import { deviceValue, hostNumbers } from '../runtime/value.js';
import { sliceFast } from './slice-util.js';
import type { Kernel } from './types.js';
import { normalizeAxis } from './util.js';

/** Edge padding repeats the border slice; tfjs only has constant and mirror padding. */
function edgePad(x: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  const dim = x.shape[axis]!;
  const parts: tf.Tensor[] = [];
  const reps = (n: number) => x.shape.map((_, i) => (i === axis ? n : 1));
  if (before > 0) parts.push(tf.tile(sliceFast(x, x.shape.map(() => 0), x.shape.map((d, i) => (i === axis ? 1 : d))), reps(before)));
  parts.push(x);
  if (after > 0) parts.push(tf.tile(sliceFast(x, x.shape.map((_, i) => (i === axis ? dim - 1 : 0)), x.shape.map((d, i) => (i === axis ? 1 : d))), reps(after)));
  return parts.length === 1 ? x : tf.concat(parts, axis);
}

export const Pad: Kernel = {
  opType: 'Pad',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const rank = dims.length;
    const mode = ctx.attrString('mode', 'constant');
    const rawPads = ctx.opset < 11 ? (ctx.attrInts('pads') ?? []) : ctx.numbers(1);
    const constant = ctx.opset < 11 ? ctx.attrFloat('value', 0) : ctx.has(2) ? (hostNumbers(ctx.host(2))[0] ?? 0) : 0;
    const axes = ctx.has(3) ? ctx.numbers(3).map((a) => normalizeAxis(a, rank, ctx.node)) : [...Array(rank).keys()];
    const pads = dims.map(() => [0, 0] as [number, number]);
    axes.forEach((axis, i) => (pads[axis] = [rawPads[i]!, rawPads[i + axes.length]!]));
    let x = ctx.tensor(0);
    // Negative pads crop.
    if (pads.some(([b, a]) => b < 0 || a < 0)) {
      x = sliceFast(x, pads.map(([b]) => Math.max(0, -b)), dims.map((d, i) => d - Math.max(0, -pads[i]![0]) - Math.max(0, -pads[i]![1])));
    }
    const positive = pads.map(([b, a]) => [Math.max(0, b), Math.max(0, a)] as [number, number]);
    if (mode === 'constant') x = tf.pad(x, positive, constant);
    else if (mode === 'reflect') x = tf.mirrorPad(x, positive, 'reflect');
    else if (mode === 'edge') positive.forEach(([b, a], axis) => (x = edgePad(x, axis, b, a)));
    else throw new SamClipError('UNSUPPORTED_OP', `Pad node "${ctx.node.name}" uses mode "${mode}", which the TensorFlow.js backends do not implement; use ort-node or ort-wasm.`, { node: ctx.node.name, mode });
    return [deviceValue(x === ctx.tensor(0) ? tf.clone(x) : x, ctx.dtype(0))];
  },
  // Every mode adds `before + after` to each padded axis (negative pads crop).
  inferShapes: (ctx) => {
    const input = ctx.shape(0);
    const pads = ctx.opset < 11 ? ctx.attrInts('pads') : ctx.constant(1);
    const axesGiven = ctx.opset >= 11 && ctx.has(3);
    const axes = axesGiven ? ctx.constant(3) : input && [...input.keys()];
    if (!input || !pads || !axes) return [undefined];
    const out = [...input];
    axes.forEach((a, i) => {
      const axis = normalizeAxis(a, input.length, ctx.node);
      out[axis] = out[axis]! + pads[i]! + pads[i + axes.length]!;
    });
    return [out];
  },
};
