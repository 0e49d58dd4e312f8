/**
 * Shared pieces of the quantization ops: broadcasting a scale / zero point that is per-tensor
 * (scalar), per-axis (1-D along `axis`) or blocked (the input's shape with `axis` divided by
 * block_size), and saturating casts to the quantized integer types.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import type { DType } from '@samclip/core';
import { toInt } from './tensor-util.js';
import type { KernelContext } from './types.js';
import { normalizeAxis } from './util.js';

export const QUANT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int4: [-8, 7],
  uint4: [0, 15],
  int32: [-2147483648, 2147483647],
};

/** Reshapes/repeats a quantization parameter so it broadcasts against an input of `dims`. */
export function expandQuantParam(param: tf.Tensor, dims: readonly number[], ctx: KernelContext): tf.Tensor {
  if (param.rank === 0 || param.size === 1) return tf.reshape(param, []);
  const axis = normalizeAxis(ctx.attrInt('axis', 1), dims.length, ctx.node);
  const blockSize = ctx.attrInt('block_size', 0);
  if (blockSize > 0) {
    const index = tf.floorDiv(tf.range(0, dims[axis]!, 1, 'int32'), tf.scalar(blockSize, 'int32'));
    return tf.gather(param, index, axis);
  }
  if (param.rank !== 1) {
    throw new SamClipError('SHAPE', `${ctx.node.opType} node "${ctx.node.name}": a per-axis scale must be 1-D.`, { node: ctx.node.name });
  }
  return tf.reshape(param, dims.map((d, i) => (i === axis ? d : 1)));
}

export function saturate(x: tf.Tensor, dtype: DType, ctx: KernelContext): tf.Tensor {
  const range = QUANT_RANGE[dtype];
  if (!range) throw new SamClipError('UNSUPPORTED_OP', `${ctx.node.opType} node "${ctx.node.name}" quantizes to ${dtype}, which the TensorFlow.js backends do not implement; use ort-node or ort-wasm.`, { node: ctx.node.name, dtype });
  return toInt(tf.clipByValue(x, range[0], range[1]));
}
