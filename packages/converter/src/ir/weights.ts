/**
 * Finds the constant weights the quantization passes rewrite: the right-hand matrix of MatMul and
 * Gemm, Conv/ConvTranspose kernels and embedding tables read by Gather.
 */
import type { Graph, Initializer, Node } from '@samclip/core';
import type { PassContext } from '../pipeline.js';
import { floatAttr, indexGraph, intAttr } from './graph-utils.js';
import { elementCount } from './numeric.js';

export type WeightUseKind = 'matmul' | 'gemm' | 'conv' | 'conv-transpose' | 'gather';

export interface WeightUse {
  node: Node;
  kind: WeightUseKind;
  weight: Initializer;
  /** Index of the weight among the node's inputs. */
  inputIndex: number;
}

export interface SkippedWeight {
  node: string;
  reason: string;
}

export function findWeightUses(graph: Graph, context: PassContext, minElements: number, skipped: SkippedWeight[]): WeightUse[] {
  const index = indexGraph(graph);
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const constantFloat = (name: string | undefined): Initializer | undefined => {
    if (!name || graphInputs.has(name)) return undefined;
    const init = index.initializers.get(name);
    return init?.dtype === 'float32' && init.data !== undefined ? init : undefined;
  };
  const uses: WeightUse[] = [];
  for (const node of graph.nodes) {
    if (node.domain !== '') continue;
    let use: WeightUse | undefined;
    if (node.opType === 'MatMul') {
      const weight = constantFloat(node.inputs[1]);
      if (weight?.dims.length === 2 && !constantFloat(node.inputs[0])) use = { node, kind: 'matmul', weight, inputIndex: 1 };
    } else if (node.opType === 'Gemm') {
      const weight = constantFloat(node.inputs[1]);
      if (weight?.dims.length === 2 && intAttr(node, 'transA', 0) === 0) use = { node, kind: 'gemm', weight, inputIndex: 1 };
    } else if (node.opType === 'Conv' || node.opType === 'ConvTranspose') {
      const weight = constantFloat(node.inputs[1]);
      if (weight && weight.dims.length >= 3) use = { node, kind: node.opType === 'Conv' ? 'conv' : 'conv-transpose', weight, inputIndex: 1 };
    } else if (node.opType === 'Gather' && intAttr(node, 'axis', 0) === 0) {
      const weight = constantFloat(node.inputs[0]);
      if (weight?.dims.length === 2) use = { node, kind: 'gather', weight, inputIndex: 0 };
    }
    if (!use) continue;
    const reason = context.exclusions.excluded(node);
    if (reason !== undefined) {
      skipped.push({ node: node.name, reason: `excluded by ${reason}` });
      continue;
    }
    if (elementCount(use.weight.dims) < minElements) {
      skipped.push({ node: node.name, reason: `weight has fewer than ${minElements} elements` });
      continue;
    }
    uses.push(use);
  }
  return uses;
}

/** True when a Gemm computes exactly A·op(B) + C, so its bias can be re-added after a rewrite. */
export function isPlainGemm(node: Node): boolean {
  return floatAttr(node, 'alpha', 1) === 1 && floatAttr(node, 'beta', 1) === 1;
}
