import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { engineMatMul } from './matmul-util.js';
import { toFloat, toInt } from './tensor-util.js';
import { transposeFast } from './transpose-util.js';
import type { Kernel, KernelContext } from './types.js';
import { axisToEndPerm, normalizeAxis } from './util.js';
import { resizeMatrix } from './resize-util.js';
import type { AxisResize, ResizeMode } from './resize-util.js';

function resizeMode(ctx: KernelContext): ResizeMode {
  const legacy = ctx.opset < 11;
  return {
    mode: ctx.attrString('mode', 'nearest'),
    coordinateMode: legacy ? 'asymmetric' : ctx.attrString('coordinate_transformation_mode', 'half_pixel'),
    nearestMode: legacy ? 'floor' : ctx.attrString('nearest_mode', 'round_prefer_floor'),
    cubicA: ctx.attrFloat('cubic_coeff_a', -0.75),
    excludeOutside: ctx.attrInt('exclude_outside', 0) === 1,
    antialias: ctx.attrInt('antialias', 0) === 1,
  };
}

function plan(ctx: KernelContext): AxisResize[] {
  const dims = ctx.dims(0);
  const rank = dims.length;
  const axes = (ctx.attrInts('axes') ?? [...Array(rank).keys()]).map((a) => normalizeAxis(a, rank, ctx.node));
  const roiGiven = ctx.opset >= 11 && ctx.has(1) && ctx.dims(1).some((d) => d > 0);
  const roi = roiGiven ? ctx.numbers(1) : undefined;
  const scalesIndex = ctx.opset < 11 ? 1 : 2;
  const scalesGiven = ctx.has(scalesIndex) && ctx.dims(scalesIndex).some((d) => d > 0);
  const sizes = ctx.opset >= 11 && ctx.has(3) ? ctx.numbers(3) : undefined;
  const result: AxisResize[] = dims.map((d) => ({ inSize: d, outSize: d, scale: 1, lengthResized: d, roiStart: 0, roiEnd: 1 }));
  const policy = ctx.attrString('keep_aspect_ratio_policy', 'stretch');
  let scales: number[];
  if (scalesGiven) scales = ctx.numbers(scalesIndex);
  else if (sizes) {
    scales = axes.map((axis, i) => sizes[i]! / dims[axis]!);
    if (policy !== 'stretch') {
      const common = policy === 'not_larger' ? Math.min(...scales) : Math.max(...scales);
      scales = scales.map(() => common);
    }
  } else {
    throw new SamClipError('MODEL_DECODE', `Resize node "${ctx.node.name}" gives neither scales nor sizes.`, { node: ctx.node.name });
  }
  axes.forEach((axis, i) => {
    const inSize = dims[axis]!;
    const scale = scales[i]!;
    const outSize = sizes && policy === 'stretch' && !scalesGiven ? sizes[i]! : sizes && !scalesGiven ? Math.floor(inSize * scale + 0.5) : Math.floor(inSize * scale);
    const lengthResized = inSize * scale;
    result[axis] = { inSize, outSize, scale, lengthResized, roiStart: roi?.[i] ?? 0, roiEnd: roi?.[i + axes.length] ?? 1 };
  });
  return result;
}

export const Resize: Kernel = {
  opType: 'Resize',
  run: (ctx) => {
    const mode = resizeMode(ctx);
    const extrapolation = ctx.attrFloat('extrapolation_value', 0);
    const axes = plan(ctx);
    const dtype = ctx.dtype(0);
    let y = toFloat(ctx.tensor(0));
    let inside: tf.Tensor | undefined;
    axes.forEach((a, axis) => {
      const identity = a.inSize === a.outSize && a.scale === 1 && mode.coordinateMode !== 'tf_crop_and_resize';
      if (identity) return;
      const { weights, outside } = resizeMatrix(a, mode);
      const { perm, inverse } = axisToEndPerm(y.rank, axis);
      const moved = transposeFast(y, perm);
      const flat = tf.reshape(moved, [-1, a.inSize]);
      const mapped = engineMatMul(flat, tf.tensor2d(weights, [a.outSize, a.inSize]), false, true);
      y = transposeFast(tf.reshape(mapped, [...moved.shape.slice(0, -1), a.outSize]), inverse);
      if (outside.some(Boolean)) {
        const mask = tf.reshape(tf.tensor1d(outside.map((o) => (o ? 0 : 1)), 'float32'), axes.map((_, i) => (i === axis ? a.outSize : 1)));
        inside = inside ? tf.mul(inside, mask) : mask;
      }
    });
    if (inside) y = tf.add(tf.mul(y, inside), tf.mul(tf.sub(1, inside), extrapolation));
    return [deviceValue(isFloatType(dtype) ? y : toInt(tf.round(y)), dtype)];
  },
};
