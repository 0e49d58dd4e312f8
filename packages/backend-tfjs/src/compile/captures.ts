/**
 * Sub-graphs (If branches) read outer-scope values by name. This pass appends those captured
 * names to the owning node's inputs, recursively, so ordering and the dispose plan see them.
 */
import type { Graph, Node } from '@samclip/core';

/** Names a graph reads but neither defines nor receives as inputs/initializers. */
export function capturedNames(graph: Graph): string[] {
  const defined = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.map((i) => i.name)]);
  const captured = new Set<string>();
  for (const node of graph.nodes) {
    for (const name of withCaptures(node).inputs) if (name && !defined.has(name)) captured.add(name);
    node.outputs.forEach((o) => defined.add(o));
  }
  return [...captured];
}

/** The node with its sub-graphs' captures appended to its inputs (and its sub-graphs rewritten the same way). */
export function withCaptures(node: Node): Node {
  const graphs = node.attributes.flatMap((a) => (a.value.type === 'graph' ? [a.value.value] : a.value.type === 'graphs' ? a.value.value : []));
  if (graphs.length === 0) return node;
  const attributes = node.attributes.map((a) => (a.value.type === 'graph' ? { ...a, value: { type: 'graph' as const, value: { ...a.value.value, nodes: a.value.value.nodes.map(withCaptures) } } } : a));
  const extra = [...new Set(graphs.flatMap(capturedNames))].filter((n) => !node.inputs.includes(n));
  return { ...node, attributes, inputs: [...node.inputs, ...extra] };
}

/** Every (domain, opType) used anywhere, sub-graphs included. */
export function* allNodes(nodes: readonly Node[]): Generator<Node> {
  for (const node of nodes) {
    yield node;
    for (const a of node.attributes) {
      if (a.value.type === 'graph') yield* allNodes(a.value.value.nodes);
      if (a.value.type === 'graphs') for (const g of a.value.value) yield* allNodes(g.nodes);
    }
  }
}
