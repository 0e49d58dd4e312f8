/**
 * Drops the outputs of a graph the SDK never reads, and every node that only fed them. Engines
 * such as onnxruntime run the whole graph whatever the fetch list, so an unread output still
 * costs its nodes; SAM's prompt decoder as Meta exports it upsamples all K masks to the original
 * image size for its `masks` output, which the SDK replaces with its own post-processing of the
 * one chosen low-res mask.
 */
import type { Graph, Model, Node } from '../graph/types.js';

/** Names a node's sub-graphs (If/Loop/Scan bodies) read from the enclosing scope. */
function outerScopeReads(node: Node): string[] {
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
 * Keeps only the graph outputs named in `keep` (in place) and removes the nodes, initializers and
 * value infos nothing left reads. Graph inputs stay declared, so feeds that include an input only
 * the dropped outputs used are still accepted. Returns how many nodes were removed.
 */
export function pruneToOutputs(model: Model, keep: readonly string[]): number {
  const graph = model.graph;
  const wanted = new Set(keep);
  graph.outputs = graph.outputs.filter((output) => wanted.has(output.name));
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
  const removed = graph.nodes.length - live.length;
  graph.nodes = live;
  const inputs = new Set(graph.inputs.map((input) => input.name));
  graph.initializers = graph.initializers.filter((initializer) => needed.has(initializer.name) || inputs.has(initializer.name));
  graph.valueInfo = graph.valueInfo.filter((info) => needed.has(info.name));
  return removed;
}
