/**
 * int8 weight-only quantization in QDQ form, for engines without MatMulInteger (WebGPU, tfjs):
 * each constant weight is stored as int8 with one scale per output channel and read through
 * DequantizeLinear(axis), so the float op itself is unchanged. Embedding tables become int8 rows.
 */
import type { Initializer, Model, Node } from '@samclip/core';
import { NameAllocator, intAttr, intAttribute, makeNode, topologicalSort } from '../ir/graph-utils.js';
import { readFloats } from '../ir/numeric.js';
import { quantizeInt8PerAxis } from '../ir/quantize.js';
import type { SkippedWeight, WeightUse } from '../ir/weights.js';
import { findWeightUses } from '../ir/weights.js';
import type { Pass, PassContext, PassReport } from '../pipeline.js';
import { rewriteGatherInt8 } from '../ir/embedding-int8.js';
import { eliminateDeadNodes } from './dead-node-elimination.js';

export interface Int8QdqOptions {
  /** Embedding tables read by Gather become int8 rows. */
  embeddings?: boolean;
  minElements?: number;
}

/** The axis of the weight that indexes output channels, where per-channel scales belong. */
function outputChannelAxis(use: WeightUse): number {
  switch (use.kind) {
    case 'matmul':
      return 1;
    case 'gemm':
      return intAttr(use.node, 'transB', 0) === 1 ? 0 : 1;
    case 'conv':
      return 0;
    case 'conv-transpose':
      return intAttr(use.node, 'group', 1) === 1 ? 1 : 0;
    case 'gather':
      return 0;
  }
}

export function createInt8QdqPass(options: Int8QdqOptions = {}): Pass {
  return {
    name: 'int8-qdq',
    run(model: Model, context: PassContext): PassReport {
      const graph = model.graph;
      const skipped: SkippedWeight[] = [];
      const uses = findWeightUses(graph, context, options.minElements ?? 1024, skipped);
      const names = new NameAllocator(graph);
      const dequantized = new Map<string, string>();
      const gatherCache = new Map<string, { table: string; scales: string }>();
      const removed = new Set<Node>();
      const nodes: Node[] = [];
      const initializers: Initializer[] = [];
      let rewritten = 0;
      for (const use of uses) {
        if (use.kind === 'gather') {
          if (options.embeddings === false) continue;
          const rewrite = rewriteGatherInt8(use, names, gatherCache);
          nodes.push(...rewrite.nodes);
          initializers.push(...rewrite.initializers);
          removed.add(use.node);
          rewritten++;
          continue;
        }
        const axis = outputChannelAxis(use);
        const key = `${use.weight.name}|${axis}`;
        let floatWeight = dequantized.get(key);
        if (!floatWeight) {
          const quantized = quantizeInt8PerAxis(readFloats(use.weight), use.weight.dims, axis);
          const channels = use.weight.dims[axis]!;
          const values = names.fresh(`${use.weight.name}_quantized`);
          const scale = names.fresh(`${use.weight.name}_scale`);
          const zeroPoint = names.fresh(`${use.weight.name}_zero_point`);
          floatWeight = names.fresh(`${use.weight.name}_dequantized`);
          initializers.push(
            { name: values, dtype: 'int8', dims: [...use.weight.dims], data: quantized.values },
            { name: scale, dtype: 'float32', dims: [channels], data: quantized.scales },
            { name: zeroPoint, dtype: 'int8', dims: [channels], data: new Int8Array(channels) },
          );
          nodes.push(makeNode('DequantizeLinear', names.fresh(`${use.weight.name}_DequantizeLinear`), [values, scale, zeroPoint], [floatWeight], [intAttribute('axis', axis)]));
          dequantized.set(key, floatWeight);
        }
        const target = floatWeight;
        use.node.inputs = use.node.inputs.map((input, i) => (i === use.inputIndex ? target : input));
        rewritten++;
      }
      graph.nodes = graph.nodes.filter((n) => !removed.has(n)).concat(nodes);
      graph.initializers.push(...initializers);
      topologicalSort(graph);
      eliminateDeadNodes(model);
      return { pass: 'int8-qdq', changed: rewritten, notes: skipped.map((s) => `kept float: ${s.node} (${s.reason})`) };
    },
  };
}
