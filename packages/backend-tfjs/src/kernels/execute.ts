/** Runs one kernel inside tf.tidy and hands back outputs that own their engine tensors. */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError, isSamClipError } from '@samclip/core';
import type { Node } from '@samclip/core';
import { tfDtypeOf } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import { NodeContext } from './context.js';
import type { Kernel } from './types.js';

export function executeNode(kernel: Kernel, node: Node, opset: number, inputs: ReadonlyArray<Value | undefined>): Array<Value | undefined> {
  const ctx = new NodeContext(node, opset, inputs);
  let produced: Array<Value | undefined> = [];
  try {
    tf.tidy(() => {
      // tfjs promotes int32 mixed with JS numbers to float32; outputs keep their ONNX type's engine dtype.
      produced = kernel.run(ctx).map((v) => (v?.device && v.device.dtype !== tfDtypeOf(v.dtype) ? { ...v, device: tf.cast(v.device, tfDtypeOf(v.dtype)) } : v));
      return produced.flatMap((v) => (v?.device ? [v.device] : []));
    });
  } catch (error) {
    if (isSamClipError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new SamClipError('SESSION', `${node.opType} node "${node.name}" failed on TensorFlow.js: ${message}`, { node: node.name, opType: node.opType }, { cause: error });
  }
  // An output that is an input (Identity, no-op reshapes) gets its own reference, so the planner
  // can free the input at its last use without freeing the output.
  const inputDevices = new Set(inputs.flatMap((v) => (v?.device ? [v.device] : [])));
  return produced.map((v) => {
    if (!v) return undefined;
    const shared = inputs.includes(v) || (v.device !== undefined && inputDevices.has(v.device));
    if (!shared) return v;
    return { dtype: v.dtype, dims: v.dims, host: v.host, device: v.device && tf.clone(v.device) };
  });
}
