/**
 * Small, allocation-light helpers for reading and editing a core IR graph in place: lookups of
 * producers, consumers and initializers, fresh unique names, and typed attribute access.
 */
import { SamClipError, outerScopeReads } from '@samclip/core';
import type { Attribute, AttributeValue, DType, Graph, Initializer, Node, TensorData } from '@samclip/core';

export interface GraphIndex {
  initializers: Map<string, Initializer>;
  producers: Map<string, Node>;
  consumers: Map<string, Node[]>;
  graphOutputs: Set<string>;
}

export function indexGraph(graph: Graph): GraphIndex {
  const initializers = new Map(graph.initializers.map((init) => [init.name, init] as const));
  const producers = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const output of node.outputs) if (output !== '') producers.set(output, node);
    for (const input of [...node.inputs, ...outerScopeReads(node)]) {
      if (input === '') continue;
      const list = consumers.get(input);
      if (list) list.push(node);
      else consumers.set(input, [node]);
    }
  }
  return { initializers, producers, consumers, graphOutputs: new Set(graph.outputs.map((o) => o.name)) };
}

/** Hands out names that collide with nothing already in the graph. */
export class NameAllocator {
  private readonly used = new Set<string>();

  constructor(graph: Graph) {
    for (const init of graph.initializers) this.used.add(init.name);
    for (const value of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) this.used.add(value.name);
    for (const node of graph.nodes) {
      this.used.add(node.name);
      for (const name of [...node.inputs, ...node.outputs]) this.used.add(name);
    }
  }

  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

export function findAttribute(node: Node, name: string): AttributeValue | undefined {
  return node.attributes.find((a) => a.name === name)?.value;
}

export function intAttr(node: Node, name: string, fallback: number): number;
export function intAttr(node: Node, name: string): number | undefined;
export function intAttr(node: Node, name: string, fallback?: number): number | undefined {
  const value = findAttribute(node, name);
  if (value === undefined) return fallback;
  if (value.type !== 'int') throw badAttribute(node, name, 'int');
  return Number(value.value);
}

export function intsAttr(node: Node, name: string): number[] | undefined {
  const value = findAttribute(node, name);
  if (value === undefined) return undefined;
  if (value.type !== 'ints') throw badAttribute(node, name, 'ints');
  return value.value.map(Number);
}

export function floatAttr(node: Node, name: string, fallback: number): number {
  const value = findAttribute(node, name);
  if (value === undefined) return fallback;
  if (value.type !== 'float') throw badAttribute(node, name, 'float');
  return value.value;
}

export function stringAttr(node: Node, name: string, fallback: string): string {
  const value = findAttribute(node, name);
  if (value === undefined) return fallback;
  if (value.type !== 'string') throw badAttribute(node, name, 'string');
  return value.value;
}

function badAttribute(node: Node, name: string, expected: string): SamClipError {
  return new SamClipError('CONVERSION', `Node "${node.name}" (${node.opType}) has attribute "${name}" that is not of type ${expected}.`, {
    node: node.name,
    attribute: name,
  });
}

export function intAttribute(name: string, value: number): Attribute {
  return { name, value: { type: 'int', value } };
}

export function makeNode(
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attributes: Attribute[] = [],
  domain = '',
): Node {
  return { name, opType, domain, inputs, outputs, attributes };
}

export function makeInitializer(name: string, dtype: DType, dims: number[], data: TensorData): Initializer {
  return { name, dtype, dims, data };
}

/** The ONNX opset version the graph's default domain imports (0 when absent). */
export function defaultOpset(opsetImports: ReadonlyArray<{ domain: string; version: number }>): number {
  return opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

/** Orders nodes so every input is produced before use; throws on a cycle. */
export function topologicalSort(graph: Graph): void {
  const available = new Set<string>(['', ...graph.inputs.map((i) => i.name), ...graph.initializers.map((i) => i.name)]);
  const pending = [...graph.nodes];
  const ordered: Node[] = [];
  const producedBy = new Map<string, Node>();
  for (const node of pending) for (const out of node.outputs) producedBy.set(out, node);
  const waitingOn = new Map<Node, number>();
  const dependents = new Map<string, Node[]>();
  const ready: Node[] = [];
  for (const node of pending) {
    const missing = new Set([...node.inputs, ...outerScopeReads(node)].filter((n) => !available.has(n) && producedBy.has(n)));
    waitingOn.set(node, missing.size);
    for (const name of missing) {
      const list = dependents.get(name);
      if (list) list.push(node);
      else dependents.set(name, [node]);
    }
    if (missing.size === 0) ready.push(node);
  }
  for (let i = 0; i < ready.length; i++) {
    const node = ready[i]!;
    ordered.push(node);
    for (const out of node.outputs) {
      for (const dependent of dependents.get(out) ?? []) {
        const left = waitingOn.get(dependent)! - 1;
        waitingOn.set(dependent, left);
        if (left === 0) ready.push(dependent);
      }
    }
  }
  if (ordered.length !== graph.nodes.length) {
    throw new SamClipError('CONVERSION', `Graph "${graph.name}" has a cycle; the converter needs an acyclic graph.`, { graph: graph.name });
  }
  graph.nodes = ordered;
}
