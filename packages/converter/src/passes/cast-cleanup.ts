/**
 * Cast cleanup: removes casts to the type a value already has, and cast pairs that return a value
 * to its original float type (`x:fp32 → Cast fp16 → Cast fp32`), which the fp16 pass leaves
 * between neighbouring float32 nodes. Dropping such a pair only removes rounding.
 */
import type { Model, Node } from '@samclip/core';
import { indexGraph, intAttr } from '../ir/graph-utils.js';
import { FLOAT_DTYPES } from '../ir/numeric.js';
import type { Pass, PassReport } from '../pipeline.js';
import { dtypeFromCode, inferTypes } from './shape-inference.js';
import { eliminateDeadNodes } from './dead-node-elimination.js';

export const castCleanupPass: Pass = {
  name: 'cast-cleanup',
  run(model: Model): PassReport {
    const graph = model.graph;
    const types = inferTypes(graph);
    const index = indexGraph(graph);
    const replace = new Map<string, string>();
    const resolve = (name: string): string => {
      let current = name;
      for (let next = replace.get(current); next !== undefined; next = replace.get(current)) current = next;
      return current;
    };
    for (const node of graph.nodes) {
      if (node.opType !== 'Cast' || node.domain !== '') continue;
      const output = node.outputs[0];
      const input = node.inputs[0];
      if (!output || !input || index.graphOutputs.has(output)) continue;
      const to = dtypeFromCode(intAttr(node, 'to', 0));
      const source = resolve(input);
      const sourceType = types.get(source)?.elemType;
      if (to !== undefined && sourceType === to) {
        replace.set(output, source);
        continue;
      }
      const producer: Node | undefined = index.producers.get(input);
      if (producer?.opType !== 'Cast' || producer.domain !== '' || to === undefined) continue;
      const original = producer.inputs[0];
      const middle = dtypeFromCode(intAttr(producer, 'to', 0));
      const originalType = original ? types.get(original)?.elemType : undefined;
      if (original && middle && FLOAT_DTYPES.has(middle) && originalType === to && FLOAT_DTYPES.has(to)) replace.set(output, resolve(original));
    }
    if (replace.size === 0) return { pass: 'cast-cleanup', changed: 0 };
    for (const node of graph.nodes) node.inputs = node.inputs.map((name) => (name === '' ? name : resolve(name)));
    eliminateDeadNodes(model);
    inferTypes(graph);
    return { pass: 'cast-cleanup', changed: replace.size };
  },
};
