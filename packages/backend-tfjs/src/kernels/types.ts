/**
 * The kernel contract, in the spirit of tfjs's own kernel registry: one kernel per ONNX op type,
 * looked up by `domain::OpType`. A kernel turns input values into output values; the executor
 * calls it inside `tf.tidy`, so engine temporaries it makes are freed when it returns.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { DType, Graph, Initializer, Node, Tensor } from '@samclip/core';
import type { Value } from '../runtime/value.js';

export interface KernelContext {
  readonly node: Node;
  /** Opset version of the node's domain. */
  readonly opset: number;
  /** Number of inputs given (trailing omitted ones excluded). */
  readonly inputCount: number;
  /** Whether optional input `i` was given. */
  has(i: number): boolean;
  value(i: number): Value;
  dtype(i: number): DType;
  /** A copy of input `i`'s dims. */
  dims(i: number): number[];
  /** Input `i` on the engine (float32, int32 or bool). */
  tensor(i: number): tf.Tensor;
  /** Input `i` on the host. */
  host(i: number): Tensor;
  /** Input `i` as JavaScript numbers (shapes, axes, indices). */
  numbers(i: number): number[];
  attrInt(name: string, fallback: number): number;
  attrInt(name: string): number | undefined;
  attrFloat(name: string, fallback: number): number;
  attrFloat(name: string): number | undefined;
  attrInts(name: string): number[] | undefined;
  attrFloats(name: string): number[] | undefined;
  attrString(name: string, fallback: string): string;
  attrString(name: string): string | undefined;
  attrTensor(name: string): Initializer | undefined;
  attrGraph(name: string): Graph | undefined;
  /** Runs a sub-graph (If/Loop bodies) with the given outer-scope values; returns its outputs. */
  runSubgraph(graph: Graph, outer: ReadonlyMap<string, Value>): Value[];
}

export interface Kernel {
  readonly opType: string;
  /** ONNX domain; '' for the default (ai.onnx) domain. */
  readonly domain?: string;
  run(ctx: KernelContext): Array<Value | undefined>;
  /** Reads only input dims (Shape, Size): the planner folds it whenever those dims are static. */
  readonly shapeOnly?: boolean;
  /** Output shapes from static input shapes, when they can be known without data. */
  inferShapes?(ctx: ShapeContext): Array<readonly number[] | undefined>;
}

/** What shape inference sees: static shapes of inputs, plus the data of constant inputs. */
export interface ShapeContext {
  readonly node: Node;
  readonly opset: number;
  readonly inputCount: number;
  has(i: number): boolean;
  shape(i: number): readonly number[] | undefined;
  /** Data of a constant input, undefined when it is computed at run time. */
  constant(i: number): number[] | undefined;
  attrInt(name: string, fallback: number): number;
  attrInt(name: string): number | undefined;
  attrInts(name: string): number[] | undefined;
}
