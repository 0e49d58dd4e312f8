/** The run-time and shape-inference contexts handed to kernels. */
import type { Graph, Node, Tensor } from '@samclip/core';
import { SamClipError } from '@samclip/core';
import type * as tf from '@tensorflow/tfjs-core';
import { hostNumbers, valueDevice, valueHost } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import { attrFloat, attrFloats, attrGraph, attrInt, attrInts, attrString, attrTensor } from './attributes.js';
import type { KernelContext, ShapeContext } from './types.js';

function givenCount(node: Node): number {
  let n = node.inputs.length;
  while (n > 0 && node.inputs[n - 1] === '') n--;
  return n;
}

export class NodeContext implements KernelContext {
  readonly inputCount: number;

  constructor(
    readonly node: Node,
    readonly opset: number,
    private readonly inputs: ReadonlyArray<Value | undefined>,
    private readonly subgraphRunner: (graph: Graph, outer: ReadonlyMap<string, Value>) => Value[],
  ) {
    this.inputCount = givenCount(node);
  }

  has(i: number): boolean {
    return this.inputs[i] !== undefined;
  }

  runSubgraph(graph: Graph, outer: ReadonlyMap<string, Value>): Value[] {
    return this.subgraphRunner(graph, outer);
  }

  value(i: number): Value {
    const v = this.inputs[i];
    if (!v) {
      throw new SamClipError('MODEL_DECODE', `${this.node.opType} node "${this.node.name}" is missing required input ${i}.`, { node: this.node.name, input: i });
    }
    return v;
  }

  dtype(i: number) {
    return this.value(i).dtype;
  }

  dims(i: number): number[] {
    return [...this.value(i).dims];
  }

  tensor(i: number): tf.Tensor {
    return valueDevice(this.value(i));
  }

  host(i: number): Tensor {
    return valueHost(this.value(i));
  }

  numbers(i: number): number[] {
    return hostNumbers(this.host(i));
  }

  attrInt(name: string, fallback: number): number;
  attrInt(name: string): number | undefined;
  attrInt(name: string, fallback?: number) {
    return attrInt(this.node, name) ?? fallback;
  }
  attrFloat(name: string, fallback: number): number;
  attrFloat(name: string): number | undefined;
  attrFloat(name: string, fallback?: number) {
    return attrFloat(this.node, name) ?? fallback;
  }
  attrInts(name: string) {
    return attrInts(this.node, name);
  }
  attrFloats(name: string) {
    return attrFloats(this.node, name);
  }
  attrString(name: string, fallback: string): string;
  attrString(name: string): string | undefined;
  attrString(name: string, fallback?: string) {
    return attrString(this.node, name) ?? fallback;
  }
  attrTensor(name: string) {
    return attrTensor(this.node, name);
  }
  attrGraph(name: string) {
    return attrGraph(this.node, name);
  }
}

export interface StaticInfo {
  shape?: readonly number[];
  constant?: Value;
}

export class StaticShapeContext implements ShapeContext {
  readonly inputCount: number;

  constructor(
    readonly node: Node,
    readonly opset: number,
    private readonly inputs: ReadonlyArray<StaticInfo | undefined>,
  ) {
    this.inputCount = givenCount(node);
  }

  has(i: number): boolean {
    return (this.node.inputs[i] ?? '') !== '';
  }

  shape(i: number) {
    return this.inputs[i]?.shape;
  }

  constant(i: number) {
    const c = this.inputs[i]?.constant;
    return c ? hostNumbers(valueHost(c)) : undefined;
  }

  attrInt(name: string, fallback: number): number;
  attrInt(name: string): number | undefined;
  attrInt(name: string, fallback?: number) {
    return attrInt(this.node, name) ?? fallback;
  }
  attrInts(name: string) {
    return attrInts(this.node, name);
  }
}
