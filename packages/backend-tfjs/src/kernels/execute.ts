/** Runs kernels inside tf.tidy and hands back outputs that own their engine tensors; also runs sub-graphs. */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError, isSamClipError } from '@samclip/core';
import type { Graph, Node } from '@samclip/core';
import { initializerTensor } from '../runtime/initializer.js';
import { disposeValue, hostValue, tfDtypeOf } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import { NodeContext } from './context.js';
import type { KernelRegistry } from './registry.js';
import { opKey } from './registry.js';
import type { Kernel } from './types.js';

/** What running a node needs beyond its inputs: kernels for sub-graph nodes and the model's opsets. */
export interface ExecutionEnv {
  registry: KernelRegistry;
  opset(domain: string): number;
}

export function executeNode(kernel: Kernel, node: Node, inputs: ReadonlyArray<Value | undefined>, env: ExecutionEnv): Array<Value | undefined> {
  const ctx = new NodeContext(node, env.opset(node.domain), inputs, (graph, outer) => runSubgraph(graph, outer, env));
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
  return produced.map((v, i) => {
    if (!v) return undefined;
    // Optional outputs the node does not name (LayerNormalization's statistics…) are freed at once.
    if ((node.outputs[i] ?? '') === '') {
      if (v.device && !inputDevices.has(v.device)) v.device.dispose();
      return undefined;
    }
    const shared = inputs.includes(v) || (v.device !== undefined && inputDevices.has(v.device));
    if (!shared) return v;
    return { dtype: v.dtype, dims: v.dims, host: v.host, device: v.device && tf.clone(v.device) };
  });
}

/** Runs a sub-graph's nodes in order over the outer values; frees everything but its outputs. */
export function runSubgraph(graph: Graph, outer: ReadonlyMap<string, Value>, env: ExecutionEnv): Value[] {
  const values = new Map(outer);
  const local: Value[] = [];
  for (const init of graph.initializers) {
    const v = hostValue(initializerTensor(init));
    values.set(init.name, v);
    local.push(v);
  }
  for (const node of graph.nodes) {
    const kernel = env.registry.get(node.domain, node.opType);
    if (!kernel) throw new SamClipError('UNSUPPORTED_OP', `Sub-graph node "${node.name}" uses ${opKey(node.domain, node.opType)}, which the TensorFlow.js backends do not implement.`, { node: node.name });
    const outputs = executeNode(kernel, node, node.inputs.map((name) => (name === '' ? undefined : values.get(name))), env);
    node.outputs.forEach((name, i) => {
      const v = outputs[i];
      if (!name || !v) return;
      values.set(name, v);
      local.push(v);
    });
  }
  const results = graph.outputs.map((o) => {
    const v = values.get(o.name);
    if (!v) throw new SamClipError('SESSION', `Sub-graph output "${o.name}" was not produced.`, { output: o.name });
    return v;
  });
  for (const v of local) if (!results.includes(v)) disposeValue(v);
  return results;
}
