/**
 * LayerNorm2d fusion: SAM's channel-wise layer norm over NCHW maps (the prompt decoder's
 * `output_upscaling` and `mask_downscaling`) is exported as a chain of elementwise ops around two
 * ReduceMeans over axis 1:
 *
 *   u = ReduceMean(x, axes=[1]);  d = x − u;  v = ReduceMean(d ^ 2, axes=[1])
 *   y = w[C,1,1] · d / √(v + ε) + b[C,1,1]
 *
 * onnxruntime reduces over a strided channel axis slowly and runs the six elementwise ops apart:
 * about 14 ms of a 80 ms decoder run on one core for a 64×128×128 map. The pass rewrites the chain
 * as Transpose(NCHW→NHWC) → LayerNormalization(axis −1, scale w, bias b, ε) → Transpose(NHWC→NCHW),
 * which engines run as one contiguous normalisation. LayerNormalization is in the default domain
 * from opset 17; older graphs are left alone. The result equals the chain up to float rounding.
 */
import type { Initializer, Model, Node } from '@samclip/core';
import { indexGraph, intAttr, intsAttr, makeInitializer, makeNode, NameAllocator, defaultOpset, topologicalSort, type GraphIndex } from '../ir/graph-utils.js';
import { readFloats } from '../ir/numeric.js';
import type { Pass, PassReport } from '../pipeline.js';

/** The single float value of a constant initializer, or undefined. */
function scalar(index: GraphIndex, name: string): number | undefined {
  const init = index.initializers.get(name);
  if (!init || init.dims.reduce((a, b) => a * b, 1) !== 1 || !['float32', 'float16', 'float64'].includes(init.dtype)) return undefined;
  return readFloats(init)[0];
}

/** A [C,1,1] (or [1,C,1,1]) float initializer's C values, or undefined. */
function channelVector(index: GraphIndex, name: string): Float32Array | undefined {
  const init = index.initializers.get(name);
  if (!init || !['float32', 'float16', 'float64'].includes(init.dtype)) return undefined;
  const dims = init.dims.length === 4 && init.dims[0] === 1 ? init.dims.slice(1) : init.dims;
  if (dims.length !== 3 || dims[1] !== 1 || dims[2] !== 1) return undefined;
  return Float32Array.from(readFloats(init));
}

/** Whether `node` is ReduceMean over axis 1 only, keeping dims (axes as attribute or, from opset 18, input). */
function isChannelMean(node: Node | undefined, index: GraphIndex): node is Node {
  if (node?.opType !== 'ReduceMean' || node.domain !== '') return false;
  if (intAttr(node, 'keepdims', 1) !== 1) return false;
  const axesInput = node.inputs[1];
  let axes: number[] | undefined = intsAttr(node, 'axes');
  if (axesInput) {
    const init = index.initializers.get(axesInput);
    if (!init?.data) return false;
    axes = Array.from(init.data as ArrayLike<number | bigint>, Number);
  }
  return axes !== undefined && axes.length === 1 && axes[0] === 1;
}

/** The only consumer of `name`, when it has exactly one and is not a graph output. */
function soleConsumer(index: GraphIndex, name: string): Node | undefined {
  const consumers = index.consumers.get(name);
  if (!consumers || consumers.length !== 1 || index.graphOutputs.has(name)) return undefined;
  return consumers[0];
}

/** The operand of a commutative binary node that is not `known`. */
function otherOperand(node: Node, known: string): string | undefined {
  if (node.inputs.length !== 2) return undefined;
  if (node.inputs[0] === known) return node.inputs[1];
  if (node.inputs[1] === known) return node.inputs[0];
  return undefined;
}

interface LayerNorm2d {
  input: string;
  output: string;
  epsilon: number;
  scale: Float32Array;
  bias: Float32Array;
  nodes: Node[];
}

/** The LayerNorm2d chain starting at ReduceMean `mean`, or undefined when the nodes do not match exactly. */
function matchChain(mean: Node, index: GraphIndex): LayerNorm2d | undefined {
  const x = mean.inputs[0]!;
  const u = mean.outputs[0]!;
  const sub = soleConsumer(index, u);
  if (sub?.opType !== 'Sub' || sub.inputs[0] !== x || sub.inputs[1] !== u) return undefined;
  const d = sub.outputs[0]!;
  const dConsumers = index.consumers.get(d) ?? [];
  if (dConsumers.length !== 2 || index.graphOutputs.has(d)) return undefined;
  const pow = dConsumers.find((n) => n.opType === 'Pow');
  const div = dConsumers.find((n) => n.opType === 'Div');
  if (!pow || !div || pow.inputs[0] !== d || scalar(index, pow.inputs[1]!) !== 2 || div.inputs[0] !== d) return undefined;
  const variance = soleConsumer(index, pow.outputs[0]!);
  if (!isChannelMean(variance, index) || variance.inputs[0] !== pow.outputs[0]) return undefined;
  const addEps = soleConsumer(index, variance.outputs[0]!);
  if (addEps?.opType !== 'Add') return undefined;
  const epsilonName = otherOperand(addEps, variance.outputs[0]!);
  const epsilon = epsilonName === undefined ? undefined : scalar(index, epsilonName);
  if (epsilon === undefined || !(epsilon >= 0)) return undefined;
  const sqrt = soleConsumer(index, addEps.outputs[0]!);
  if (sqrt?.opType !== 'Sqrt' || soleConsumer(index, sqrt.outputs[0]!) !== div || div.inputs[1] !== sqrt.outputs[0]) return undefined;
  const mul = soleConsumer(index, div.outputs[0]!);
  if (mul?.opType !== 'Mul') return undefined;
  const scaleName = otherOperand(mul, div.outputs[0]!);
  const scale = scaleName === undefined ? undefined : channelVector(index, scaleName);
  const addBias = soleConsumer(index, mul.outputs[0]!);
  if (!scale || addBias?.opType !== 'Add') return undefined;
  const biasName = otherOperand(addBias, mul.outputs[0]!);
  const bias = biasName === undefined ? undefined : channelVector(index, biasName);
  if (!bias || bias.length !== scale.length) return undefined;
  return { input: x, output: addBias.outputs[0]!, epsilon, scale, bias, nodes: [mean, sub, pow, variance, addEps, sqrt, div, mul, addBias] };
}

export function fuseLayerNorm2d(model: Model): number {
  if (defaultOpset(model.opsetImports) < 17) return 0;
  const graph = model.graph;
  const index = indexGraph(graph);
  const names = new NameAllocator(graph);
  const removed = new Set<Node>();
  const added: Node[] = [];
  const initializers: Initializer[] = [];
  for (const node of graph.nodes) {
    if (removed.has(node) || !isChannelMean(node, index)) continue;
    const chain = matchChain(node, index);
    if (!chain || chain.nodes.some((n) => removed.has(n))) continue;
    for (const n of chain.nodes) removed.add(n);
    const base = node.name.replace(/\/ReduceMean$/, '') || names.fresh('layernorm2d');
    const scale = names.fresh(`${base}/LayerNormalization.scale`);
    const bias = names.fresh(`${base}/LayerNormalization.bias`);
    initializers.push(makeInitializer(scale, 'float32', [chain.scale.length], chain.scale), makeInitializer(bias, 'float32', [chain.bias.length], chain.bias));
    const nhwc = names.fresh(`${base}/ToNHWC_output_0`);
    const normalised = names.fresh(`${base}/LayerNormalization_output_0`);
    added.push(
      makeNode('Transpose', names.fresh(`${base}/ToNHWC`), [chain.input], [nhwc], [{ name: 'perm', value: { type: 'ints', value: [0, 2, 3, 1] } }]),
      makeNode('LayerNormalization', names.fresh(`${base}/LayerNormalization`), [nhwc, scale, bias], [normalised], [
        { name: 'axis', value: { type: 'int', value: -1 } },
        { name: 'epsilon', value: { type: 'float', value: chain.epsilon } },
      ]),
      makeNode('Transpose', names.fresh(`${base}/ToNCHW`), [normalised], [chain.output], [{ name: 'perm', value: { type: 'ints', value: [0, 3, 1, 2] } }]),
    );
  }
  if (removed.size === 0) return 0;
  graph.nodes = [...graph.nodes.filter((n) => !removed.has(n)), ...added];
  graph.initializers.push(...initializers);
  // Intermediate value infos of the removed chain describe tensors that no longer exist.
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  const inputs = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.map((i) => i.name)]);
  graph.valueInfo = graph.valueInfo.filter((v) => produced.has(v.name) || inputs.has(v.name));
  topologicalSort(graph);
  return added.length / 3;
}

export const layerNorm2dFusionPass: Pass = {
  name: 'layernorm2d-fusion',
  run(model: Model): PassReport {
    const fused = fuseLayerNorm2d(model);
    return { pass: 'layernorm2d-fusion', changed: fused, ...(fused > 0 ? { notes: [`${fused} channel-wise LayerNorm2d chains → Transpose + LayerNormalization + Transpose`] } : {}) };
  },
};
