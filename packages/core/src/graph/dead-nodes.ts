/**
 * Dead-node elimination over the graph IR, shared by the SDK (pruning a graph to the outputs it
 * reads) and the converter's clean-up pass.
 */
import type { Graph, Model, Node } from './types.js';

/** Names a node's sub-graphs (If/Loop/Scan bodies) read from the enclosing scope. */
export function outerScopeReads(node: Node): string[] {
  const names: string[] = [];
  for (const attribute of node.attributes) {
    const value = attribute.value;
    const graphs: Graph[] = value.type === 'graph' ? [value.value] : value.type === 'graphs' ? value.value : [];
    for (const sub of graphs) {
      const local = new Set<string>([...sub.initializers.map((i) => i.name), ...sub.inputs.map((i) => i.name)]);
      for (const inner of sub.nodes) for (const output of inner.outputs) local.add(output);
      for (const inner of sub.nodes) {
        for (const input of [...inner.inputs, ...outerScopeReads(inner)]) if (input !== '' && !local.has(input)) names.push(input);
      }
    }
  }
  return names;
}

/**
 * Points every read of the outer-scope value `from` inside `node`'s sub-graphs (nested ones too)
 * at `to`, except in a sub-graph that defines its own `from`.
 */
export function renameOuterScopeReads(node: Node, from: string, to: string): void {
  for (const attribute of node.attributes) {
    const value = attribute.value;
    const graphs: Graph[] = value.type === 'graph' ? [value.value] : value.type === 'graphs' ? value.value : [];
    for (const sub of graphs) {
      const local = new Set<string>([...sub.initializers.map((i) => i.name), ...sub.inputs.map((i) => i.name), ...sub.nodes.flatMap((n) => n.outputs)]);
      if (local.has(from)) continue;
      for (const inner of sub.nodes) {
        inner.inputs = inner.inputs.map((input) => (input === from ? to : input));
        renameOuterScopeReads(inner, from, to);
      }
      for (const output of sub.outputs) if (output.name === from) output.name = to;
    }
  }
}

/**
 * Removes (in place) the nodes whose outputs reach no graph output, then the initializers and value
 * infos nothing left reads. Graph inputs stay declared. Returns how many nodes and initializers went.
 */
export function removeDeadNodes(model: Model): { nodes: number; initializers: number } {
  const graph = model.graph;
  const needed = new Set(graph.outputs.map((output) => output.name));
  const live: Node[] = [];
  // ONNX nodes are topologically sorted, so one backward sweep finds every producer needed.
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((output) => output !== '' && needed.has(output))) continue;
    live.push(node);
    for (const input of [...node.inputs, ...outerScopeReads(node)]) if (input !== '') needed.add(input);
  }
  live.reverse();
  const nodes = graph.nodes.length - live.length;
  graph.nodes = live;
  const initializerCount = graph.initializers.length;
  const inputs = new Set(graph.inputs.map((input) => input.name));
  graph.initializers = graph.initializers.filter((initializer) => needed.has(initializer.name) || inputs.has(initializer.name));
  graph.valueInfo = graph.valueInfo.filter((info) => needed.has(info.name));
  return { nodes, initializers: initializerCount - graph.initializers.length };
}
