/** Typed attribute access shared by run-time and shape-inference contexts. */
import { SamClipError } from '@samclip/core';
import type { Graph, Initializer, Node } from '@samclip/core';

function find(node: Node, name: string) {
  return node.attributes.find((a) => a.name === name)?.value;
}

function mismatch(node: Node, name: string, want: string): never {
  throw new SamClipError('MODEL_DECODE', `Attribute "${name}" of ${node.opType} node "${node.name}" is not ${want}.`, { node: node.name, attribute: name });
}

export function attrInt(node: Node, name: string): number | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type !== 'int') mismatch(node, name, 'an int');
  return Number(v.value);
}

export function attrFloat(node: Node, name: string): number | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type === 'int') return Number(v.value);
  if (v.type !== 'float') mismatch(node, name, 'a float');
  return v.value;
}

export function attrInts(node: Node, name: string): number[] | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type !== 'ints') mismatch(node, name, 'a list of ints');
  return v.value.map(Number);
}

export function attrFloats(node: Node, name: string): number[] | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type !== 'floats') mismatch(node, name, 'a list of floats');
  return v.value;
}

export function attrString(node: Node, name: string): string | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type !== 'string') mismatch(node, name, 'a string');
  return v.value;
}

export function attrTensor(node: Node, name: string): Initializer | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type !== 'tensor') mismatch(node, name, 'a tensor');
  return v.value;
}

export function attrGraph(node: Node, name: string): Graph | undefined {
  const v = find(node, name);
  if (v === undefined) return undefined;
  if (v.type !== 'graph') mismatch(node, name, 'a graph');
  return v.value;
}
