/** Look-ups over the graph IR: attributes by name and type, initializers, value infos, sub-graphs. */
import { SamClipError } from '../errors.js';
import type { Attribute, AttributeValue, Graph, Initializer, Model, Node, ValueInfo } from './types.js';

export type AttributeType = AttributeValue['type'];
export type AttributeValueOf<T extends AttributeType> = Extract<AttributeValue, { type: T }>['value'];

function nodeLabel(node: Node): string {
  return node.name ? `node "${node.name}" (${node.opType})` : `a ${node.opType} node`;
}

/** The attribute called `name`, or undefined. */
export function getAttribute(node: Node, name: string): Attribute | undefined {
  return node.attributes.find((attribute) => attribute.name === name);
}

/**
 * The value of attribute `name` when it has the expected type; `fallback` (or undefined) when the
 * node has no such attribute. A present attribute of another type is an error naming the node.
 */
export function getAttributeValue<T extends AttributeType>(node: Node, name: string, type: T): AttributeValueOf<T> | undefined;
export function getAttributeValue<T extends AttributeType>(node: Node, name: string, type: T, fallback: AttributeValueOf<T>): AttributeValueOf<T>;
export function getAttributeValue<T extends AttributeType>(
  node: Node,
  name: string,
  type: T,
  fallback?: AttributeValueOf<T>,
): unknown {
  const attribute = getAttribute(node, name);
  if (!attribute) return fallback;
  if (attribute.value.type !== type) {
    throw new SamClipError(
      'MODEL_DECODE',
      `Attribute "${name}" of ${nodeLabel(node)} is a ${attribute.value.type}, but a ${type} was expected; the graph does not follow the operator's spec.`,
      { node: node.name, opType: node.opType, attribute: name, expected: type, actual: attribute.value.type },
    );
  }
  return attribute.value.value;
}

function toSafeInt(value: number | bigint, node: Node, name: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new SamClipError('MODEL_DECODE', `Attribute "${name}" of ${nodeLabel(node)} holds ${value}, beyond the integers a JavaScript number represents.`, {
      node: node.name,
      attribute: name,
    });
  }
  return number;
}

/** An `int` attribute as a number (int64 values beyond ±2^53 are an error). */
export function getIntAttribute(node: Node, name: string): number | undefined;
export function getIntAttribute(node: Node, name: string, fallback: number): number;
export function getIntAttribute(node: Node, name: string, fallback?: number): number | undefined {
  const value = getAttributeValue(node, name, 'int');
  return value === undefined ? fallback : toSafeInt(value, node, name);
}

/** An `ints` attribute as numbers. */
export function getIntsAttribute(node: Node, name: string): number[] | undefined;
export function getIntsAttribute(node: Node, name: string, fallback: number[]): number[];
export function getIntsAttribute(node: Node, name: string, fallback?: number[]): number[] | undefined {
  const value = getAttributeValue(node, name, 'ints');
  return value === undefined ? fallback : value.map((item) => toSafeInt(item, node, name));
}

export function getFloatAttribute(node: Node, name: string): number | undefined;
export function getFloatAttribute(node: Node, name: string, fallback: number): number;
export function getFloatAttribute(node: Node, name: string, fallback?: number): number | undefined {
  return getAttributeValue(node, name, 'float') ?? fallback;
}

export function getStringAttribute(node: Node, name: string): string | undefined;
export function getStringAttribute(node: Node, name: string, fallback: string): string;
export function getStringAttribute(node: Node, name: string, fallback?: string): string | undefined {
  return getAttributeValue(node, name, 'string') ?? fallback;
}

/** The initializer called `name` in `graph` (not its sub-graphs). */
export function findInitializer(graph: Graph, name: string): Initializer | undefined {
  return graph.initializers.find((initializer) => initializer.name === name);
}

/** The declared type of value `name`: a graph input, output or value_info entry. */
export function findValueInfo(graph: Graph, name: string): ValueInfo | undefined {
  return (
    graph.inputs.find((info) => info.name === name) ??
    graph.outputs.find((info) => info.name === name) ??
    graph.valueInfo.find((info) => info.name === name)
  );
}

/** Graph inputs that are not fed by an initializer: what a caller must provide. */
export function runtimeInputs(graph: Graph): ValueInfo[] {
  const initialized = new Set(graph.initializers.map((initializer) => initializer.name));
  return graph.inputs.filter((input) => !initialized.has(input.name));
}

/** `graph` and every graph nested in node attributes (If/Loop/Scan bodies), depth first. */
export function* walkGraphs(graph: Graph): Generator<Graph> {
  yield graph;
  for (const node of graph.nodes) {
    for (const { value } of node.attributes) {
      if (value.type === 'graph') yield* walkGraphs(value.value);
      else if (value.type === 'graphs') for (const nested of value.value) yield* walkGraphs(nested);
    }
  }
}

/** Every tensor the model holds: initializers and tensor attributes, in all graphs. */
export function* walkTensors(model: Model): Generator<Initializer> {
  for (const graph of walkGraphs(model.graph)) {
    yield* graph.initializers;
    for (const node of graph.nodes) {
      for (const { value } of node.attributes) {
        if (value.type === 'tensor') yield value.value;
        else if (value.type === 'tensors') yield* value.value;
      }
    }
  }
}

/** The external data files a model refers to, each once, in order of first use. */
export function collectExternalDataLocations(model: Model): string[] {
  const locations = new Set<string>();
  for (const tensor of walkTensors(model)) if (tensor.external) locations.add(tensor.external.location);
  return [...locations];
}
