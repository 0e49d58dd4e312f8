/** Softmax and log-softmax along any axis; before opset 13 the input is flattened to 2-D at `axis`. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelContext } from './types.js';
import { normalizeAxis } from './util.js';

export function softmaxAlong(ctx: KernelContext, log: boolean): tf.Tensor {
  const x = ctx.tensor(0);
  const dims = ctx.dims(0);
  const axis = normalizeAxis(ctx.attrInt('axis', ctx.opset < 13 ? 1 : -1), dims.length, ctx.node);
  const legacy = ctx.opset < 13;
  // The engines' fused kernels work along the last axis.
  if (!legacy && axis === dims.length - 1) return log ? tf.logSoftmax(x) : tf.softmax(x);
  const input = legacy ? tf.reshape(x, [dims.slice(0, axis).reduce((a, b) => a * b, 1), -1]) : x;
  const along = legacy ? 1 : axis;
  const shifted = tf.sub(input, tf.max(input, along, true));
  const sum = tf.sum(tf.exp(shifted), along, true);
  const y = log ? tf.sub(shifted, tf.log(sum)) : tf.div(tf.exp(shifted), sum);
  return legacy ? tf.reshape(y, dims) : y;
}
