/**
 * Float16 arithmetic → float32, for engines on devices without float16 kernels (a WebGPU adapter
 * without `shader-f16`: SwiftShader, many integrated and mobile GPUs). The weights keep the values
 * float16 gave them, so the results stay within the fp16 variant's tolerance of fp32; only the
 * arithmetic is wider. Graph inputs and outputs keep their declared types behind Casts, so callers
 * feed and read the same tensors as before.
 */
import { SamClipError } from '../errors.js';
import { renameOuterScopeReads } from './dead-nodes.js';
import { float16ToFloat32 } from './tensor.js';
import type { Attribute, Graph, Initializer, Model, Node, ValueInfo } from './types.js';

const FLOAT = 1;
const FLOAT16 = 10;

function upcastInitializer(init: Initializer): Initializer {
  if (init.dtype !== 'float16') return init;
  if (!(init.data instanceof Uint16Array)) {
    throw new SamClipError('UNSUPPORTED', `float16 initializer ${init.name} has its bytes in external data; load them before upcasting the graph.`, { tensor: init.name });
  }
  return { ...init, dtype: 'float32', data: float16ToFloat32(init.data) };
}

function upcastValueInfo(info: ValueInfo): ValueInfo {
  return info.type?.kind === 'tensor' && info.type.elemType === 'float16' ? { ...info, type: { ...info.type, elemType: 'float32' } } : info;
}

function upcastAttribute(node: Node, attribute: Attribute): [Attribute, number] {
  const value = attribute.value;
  if (attribute.name === 'to' && node.opType === 'Cast' && value.type === 'int' && value.value === FLOAT16) {
    return [{ ...attribute, value: { type: 'int', value: FLOAT } }, 1];
  }
  if (value.type === 'tensor' && value.value.dtype === 'float16') return [{ ...attribute, value: { type: 'tensor', value: upcastInitializer(value.value) } }, 1];
  if (value.type === 'graph') {
    const changed = upcastGraph(value.value);
    return [attribute, changed];
  }
  if (value.type === 'graphs') return [attribute, value.value.reduce((sum, sub) => sum + upcastGraph(sub), 0)];
  return [attribute, 0];
}

/** Upcasts a (sub)graph in place, its own inputs and outputs included; returns how many things changed. */
function upcastGraph(graph: Graph): number {
  let changed = 0;
  graph.initializers = graph.initializers.map((init) => {
    if (init.dtype === 'float16') changed++;
    return upcastInitializer(init);
  });
  for (const node of graph.nodes) {
    node.attributes = node.attributes.map((attribute) => {
      const [upcast, count] = upcastAttribute(node, attribute);
      changed += count;
      return upcast;
    });
  }
  graph.inputs = graph.inputs.map(upcastValueInfo);
  graph.outputs = graph.outputs.map(upcastValueInfo);
  graph.valueInfo = graph.valueInfo.map(upcastValueInfo);
  return changed;
}

function isFloat16(info: ValueInfo): boolean {
  return info.type?.kind === 'tensor' && info.type.elemType === 'float16';
}

/** Whether the model computes anything in float16 (float16 weights, casts to float16, float16 I/O). */
export function hasFloat16Arithmetic(model: Model): boolean {
  const visit = (graph: Graph): boolean =>
    graph.initializers.some((init) => init.dtype === 'float16') ||
    [...graph.inputs, ...graph.outputs, ...graph.valueInfo].some(isFloat16) ||
    graph.nodes.some((node) =>
      node.attributes.some(({ name, value }) =>
        (name === 'to' && node.opType === 'Cast' && value.type === 'int' && value.value === FLOAT16) ||
        (value.type === 'tensor' && value.value.dtype === 'float16') ||
        (value.type === 'graph' && visit(value.value)) ||
        (value.type === 'graphs' && value.value.some(visit)),
      ),
    );
  return visit(model.graph);
}

/**
 * Rewrites `model` in place so that all its arithmetic is float32; float16 graph inputs and
 * outputs stay float16 at the boundary (a Cast after each input, before each output). Returns how
 * many initializers, casts and constants changed (0: the model had no float16 to upcast).
 */
export function upcastFloat16(model: Model): number {
  const graph = model.graph;
  const taken = new Set<string>([
    ...graph.inputs.map((v) => v.name),
    ...graph.initializers.map((i) => i.name),
    ...graph.nodes.flatMap((n) => [n.name, ...n.outputs]),
  ]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const boundaryCasts: Node[] = [];
  const halfInputs = graph.inputs.filter(isFloat16);
  const halfOutputs = graph.outputs.filter(isFloat16);
  let changed = upcastGraph(graph);
  const boundary = new Set([...halfInputs, ...halfOutputs].map((v) => v.name));
  graph.valueInfo = graph.valueInfo.filter((v) => !boundary.has(v.name));
  // The boundary keeps its declared float16 type; float32 copies carry the values inside.
  for (const input of halfInputs) {
    const inner = fresh(`${input.name}_float32`);
    renameReads(graph, input.name, inner);
    boundaryCasts.push(castNode(fresh(`${input.name}_upcast`), input.name, inner, FLOAT));
    graph.inputs = graph.inputs.map((v) => (v.name === input.name ? input : v));
  }
  const tail: Node[] = [];
  for (const output of halfOutputs) {
    const inner = fresh(`${output.name}_float32`);
    for (const node of graph.nodes) node.outputs = node.outputs.map((o) => (o === output.name ? inner : o));
    renameReads(graph, output.name, inner);
    tail.push(castNode(fresh(`${output.name}_downcast`), inner, output.name, FLOAT16));
    graph.outputs = graph.outputs.map((v) => (v.name === output.name ? output : v));
  }
  graph.nodes = [...boundaryCasts, ...graph.nodes, ...tail];
  changed += boundaryCasts.length + tail.length;
  return changed;
}

function castNode(name: string, input: string, output: string, to: number): Node {
  return { name, opType: 'Cast', domain: '', inputs: [input], outputs: [output], attributes: [{ name: 'to', value: { type: 'int', value: to } }] };
}

/** Points every read of `from` in `graph`, its nodes' sub-graphs included, at `to`. */
function renameReads(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) {
    node.inputs = node.inputs.map((input) => (input === from ? to : input));
    renameOuterScopeReads(node, from, to);
  }
}
