/**
 * Dead-node elimination: drops nodes whose outputs reach no graph output, then the initializers
 * and value_info nobody reads any more.
 */
import type { Model, Node } from '@samclip/core';
import { subgraphInputs } from '../ir/graph-utils.js';
import type { Pass, PassReport } from '../pipeline.js';

export function eliminateDeadNodes(model: Model): number {
  const graph = model.graph;
  const needed = new Set(graph.outputs.map((o) => o.name));
  const live: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((o) => o !== '' && needed.has(o))) continue;
    live.push(node);
    for (const input of [...node.inputs, ...subgraphInputs(node)]) if (input !== '') needed.add(input);
  }
  live.reverse();
  const removedNodes = graph.nodes.length - live.length;
  graph.nodes = live;
  const initializerCount = graph.initializers.length;
  const inputs = new Set(graph.inputs.map((i) => i.name));
  graph.initializers = graph.initializers.filter((init) => needed.has(init.name) || inputs.has(init.name));
  graph.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name));
  return removedNodes + (initializerCount - graph.initializers.length);
}

export const deadNodeEliminationPass: Pass = {
  name: 'dead-node-elimination',
  run(model: Model): PassReport {
    return { pass: 'dead-node-elimination', changed: eliminateDeadNodes(model) };
  },
};
