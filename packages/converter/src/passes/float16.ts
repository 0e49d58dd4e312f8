/**
 * float16 conversion. Two modes:
 * - `compute`: weights and activations in float16, graph inputs and outputs keep their float32
 *   type (Casts at the boundary), and precision-sensitive ops (normalisation, softmax,
 *   reductions, Pow/Sqrt, positional sin/cos with the arithmetic that feeds them, Resize) stay in
 *   float32 behind Casts. For engines with float16 kernels (WebGPU).
 * - `storage`: float32 weights are stored as float16 and cast back once; the arithmetic stays
 *   float32. Halves the file for engines without float16 kernels (ORT CPU/WASM, tfjs) while the
 *   engine folds the casts at load. The int8/int4 pipelines also use it for the large weights
 *   they keep in float (positional embeddings, excluded layers).
 * Constants are clamped to the float16 range so large negative masks stay finite.
 */
import type { Graph, Initializer, Model, Node, TensorTypeInfo } from '@samclip/core';
import { ONNX_DATA_TYPE, outerScopeReads, renameOuterScopeReads } from '@samclip/core';
import { NameAllocator, findAttribute, indexGraph, intAttr, intAttribute, makeNode, topologicalSort } from '../ir/graph-utils.js';
import { readFloats, toFloat16 } from '../ir/numeric.js';
import type { Pass, PassContext, PassReport } from '../pipeline.js';
import { eliminateDeadNodes } from './dead-node-elimination.js';
import { inferTypes } from './shape-inference.js';

export interface Float16Options {
  mode: 'compute' | 'storage';
  /** Float32 initializers with fewer elements stay float32 (storage mode): the cast would cost more than it saves. */
  minElements?: number;
}

/**
 * Ops whose float inputs are quantization parameters engines expect as constant initializers of a
 * fixed type; storage mode leaves their initializers alone.
 */
const QUANTIZATION_OPS = new Set(['DequantizeLinear', 'QuantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'MatMulNBits']);

/** Ops whose float16 kernels are accurate enough for SAM-CLIP activations. */
const FLOAT16_SAFE_OPS = new Set([
  'Abs', 'Add', 'AveragePool', 'BatchNormalization', 'Cast', 'Ceil', 'Clip', 'Concat', 'ConstantOfShape', 'Conv', 'ConvTranspose', 'Div',
  'Dropout', 'Einsum', 'Equal', 'Erf', 'Expand', 'Flatten', 'Floor', 'Gather', 'GatherElements', 'Gelu', 'Gemm', 'GlobalAveragePool',
  'GlobalMaxPool', 'Greater', 'GreaterOrEqual', 'HardSigmoid', 'HardSwish', 'Identity', 'LeakyRelu', 'Less', 'LessOrEqual', 'MatMul', 'Max',
  'MaxPool', 'Min', 'Mul', 'Neg', 'Not', 'Pad', 'PRelu', 'Relu', 'Reshape', 'Round', 'Shape', 'Sigmoid', 'Sign', 'Size', 'Slice', 'Split',
  'Squeeze', 'Sub', 'Tanh', 'Tile', 'Transpose', 'Unsqueeze', 'Where', 'Constant',
]);

/** Float-valued but numerically fragile in float16: kept float32 even though engines could run them. */
export const FLOAT16_SENSITIVE_OPS = new Set([
  'LayerNormalization', 'Softmax', 'LogSoftmax', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1',
  'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare', 'Pow', 'Sqrt', 'Sin', 'Cos', 'Resize', 'Exp', 'Log',
  'InstanceNormalization', 'CumSum', 'Range',
]);

/** Cheap ops that may join a float32 island instead of being sandwiched between casts. */
const ISLAND_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'MatMul', 'Gemm', 'Concat', 'Unsqueeze', 'Squeeze', 'Reshape', 'Transpose', 'Slice', 'Gather', 'Expand', 'Where', 'Identity', 'Max', 'Min', 'Clip']);

const FLOAT16 = ONNX_DATA_TYPE.float16;

function isFloat32(types: Map<string, TensorTypeInfo>, name: string): boolean {
  return name !== '' && types.get(name)?.elemType === 'float32';
}

/** Decides which nodes stay float32; every other node runs in float16. */
function classifyNodes(graph: Graph, types: Map<string, TensorTypeInfo>, context: PassContext): Set<Node> {
  const index = indexGraph(graph);
  const kept = new Set<Node>();
  for (const node of graph.nodes) {
    const hasSubgraph = node.attributes.some((a) => a.value.type === 'graph' || a.value.type === 'graphs');
    if (node.domain !== '' || hasSubgraph || !FLOAT16_SAFE_OPS.has(node.opType) || context.exclusions.excluded(node) !== undefined) kept.add(node);
  }
  // Positional encodings: the arithmetic that feeds Sin/Cos stays float32 up to where it branches off.
  const pending = graph.nodes.filter((n) => n.opType === 'Sin' || n.opType === 'Cos');
  while (pending.length > 0) {
    const node = pending.pop()!;
    for (const input of node.inputs) {
      const producer = index.producers.get(input);
      if (!producer || kept.has(producer) || !ISLAND_OPS.has(producer.opType)) continue;
      const consumers = producer.outputs.flatMap((o) => index.consumers.get(o) ?? []);
      if (consumers.every((c) => kept.has(c)) && !producer.outputs.some((o) => index.graphOutputs.has(o))) {
        kept.add(producer);
        pending.push(producer);
      }
    }
  }
  // A cheap op between float32 neighbours on every side joins them rather than costing two casts.
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of graph.nodes) {
      if (kept.has(node) || !ISLAND_OPS.has(node.opType) || node.opType === 'MatMul' || node.opType === 'Gemm') continue;
      const floatInputs = node.inputs.filter((i) => isFloat32(types, i));
      if (floatInputs.length === 0) continue;
      const inputsFloat32 = floatInputs.every((i) => {
        if (index.initializers.has(i)) return true;
        const producer = index.producers.get(i);
        return producer === undefined || kept.has(producer);
      });
      const consumers = node.outputs.flatMap((o) => index.consumers.get(o) ?? []);
      const outputsFloat32 = consumers.length > 0 && consumers.every((c) => kept.has(c));
      if (inputsFloat32 && outputsFloat32) {
        kept.add(node);
        changed = true;
      }
    }
  }
  return kept;
}

function toFloat16Initializer(init: Initializer, name: string): Initializer {
  return { name, dtype: 'float16', dims: [...init.dims], data: toFloat16(readFloats(init), true) };
}

function convertCompute(model: Model, context: PassContext): PassReport {
  const graph = model.graph;
  const types = inferTypes(graph);
  const kept = classifyNodes(graph, types, context);
  const index = indexGraph(graph);
  const names = new NameAllocator(graph);
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const added: Node[] = [];
  const addedInitializers: Initializer[] = [];
  const half = new Map<string, string>();
  const casts = new Map<string, string>();
  // Which dtype each float32 value has after conversion.
  const isHalf = new Set<string>();

  // Graph outputs produced in float16 are renamed; a Cast restores the float32 name.
  for (const node of graph.nodes) {
    if (kept.has(node)) continue;
    node.outputs = node.outputs.map((output) => {
      if (!isFloat32(types, output)) return output;
      if (!index.graphOutputs.has(output)) {
        isHalf.add(output);
        return output;
      }
      const renamed = names.fresh(`${output}_fp16`);
      types.set(renamed, types.get(output)!);
      isHalf.add(renamed);
      for (const consumer of index.consumers.get(output) ?? []) consumer.inputs = consumer.inputs.map((i) => (i === output ? renamed : i));
      added.push(makeNode('Cast', names.fresh(`${output}_to_fp32`), [renamed], [output], [intAttribute('to', ONNX_DATA_TYPE.float32)]));
      return renamed;
    });
  }

  const castTo = (value: string, toHalf: boolean): string => {
    const key = `${value}|${toHalf ? 16 : 32}`;
    const existing = casts.get(key);
    if (existing) return existing;
    const output = names.fresh(`${value}_${toHalf ? 'fp16' : 'fp32'}`);
    added.push(makeNode('Cast', names.fresh(`${value}_cast_${toHalf ? 'fp16' : 'fp32'}`), [value], [output], [intAttribute('to', toHalf ? FLOAT16 : ONNX_DATA_TYPE.float32)]));
    casts.set(key, output);
    return output;
  };

  let convertedNodes = 0;
  for (const node of graph.nodes) {
    const wantsHalf = !kept.has(node);
    if (wantsHalf) convertedNodes++;
    node.inputs = node.inputs.map((input) => {
      if (!isFloat32(types, input)) return input;
      const init = index.initializers.get(input);
      if (init && !graphInputs.has(input)) {
        if (!wantsHalf) return input;
        let name = half.get(input);
        if (!name) {
          name = names.fresh(`${input}_fp16`);
          addedInitializers.push(toFloat16Initializer(init, name));
          half.set(input, name);
        }
        return name;
      }
      const currentlyHalf = isHalf.has(input);
      return currentlyHalf === wantsHalf ? input : castTo(input, wantsHalf);
    });
    if (!wantsHalf) {
      // Subgraphs (kept float32, with their declared float32 types) may read converted values of
      // the outer graph by name, not through node.inputs: they read a float32 cast instead.
      for (const read of new Set(outerScopeReads(node))) {
        if (isHalf.has(read)) renameOuterScopeReads(node, read, castTo(read, false));
      }
      continue;
    }
    if (node.opType === 'Cast' && intAttr(node, 'to', 0) === ONNX_DATA_TYPE.float32) {
      node.attributes = node.attributes.map((a) => (a.name === 'to' ? intAttribute('to', FLOAT16) : a));
    }
    if (node.opType === 'ConstantOfShape' || node.opType === 'Constant') {
      const value = findAttribute(node, 'value');
      if (value?.type === 'tensor' && value.value.dtype === 'float32') {
        const converted = toFloat16Initializer(value.value, value.value.name);
        node.attributes = node.attributes.map((a) => (a.name === 'value' ? { ...a, value: { type: 'tensor', value: converted } } : a));
      }
    }
  }
  graph.nodes.push(...added);
  graph.initializers.push(...addedInitializers);
  for (const info of graph.valueInfo) {
    if (info.type?.kind === 'tensor' && isHalf.has(info.name)) info.type = { ...info.type, elemType: 'float16' };
  }
  topologicalSort(graph);
  eliminateDeadNodes(model);
  return {
    pass: 'float16',
    changed: convertedNodes + added.length,
    notes: [`${convertedNodes} nodes in float16, ${kept.size} kept float32, ${added.length} casts, ${addedInitializers.length} float16 initializers`],
  };
}

function convertStorage(model: Model, context: PassContext, minElements: number): PassReport {
  const graph = model.graph;
  const index = indexGraph(graph);
  const names = new NameAllocator(graph);
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const casts: Node[] = [];
  const stored: Initializer[] = [];
  graph.initializers = graph.initializers.map((init) => {
    const consumers = index.consumers.get(init.name) ?? [];
    // Storage keeps float32 arithmetic everywhere, so only the caller's own exclusions keep weights float32.
    const excluded = consumers.some((c) => QUANTIZATION_OPS.has(c.opType) || context.exclusions.excluded(c, true) !== undefined);
    const count = init.dims.reduce((a, b) => a * b, 1);
    if (init.dtype !== 'float32' || graphInputs.has(init.name) || excluded || count < minElements || init.data === undefined) return init;
    const halfInit = toFloat16Initializer(init, names.fresh(`${init.name}_fp16`));
    stored.push(halfInit);
    casts.push(makeNode('Cast', names.fresh(`${init.name}_to_fp32`), [halfInit.name], [init.name], [intAttribute('to', ONNX_DATA_TYPE.float32)]));
    return halfInit;
  });
  graph.nodes.unshift(...casts);
  return { pass: 'float16', changed: stored.length, notes: [`${stored.length} initializers stored as float16`] };
}

export function createFloat16Pass(options: Float16Options): Pass {
  return {
    name: 'float16',
    run(model, context) {
      return options.mode === 'compute' ? convertCompute(model, context) : convertStorage(model, context, options.minElements ?? 16);
    },
  };
}
