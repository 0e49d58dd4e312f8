/**
 * Staging a graph by how often its inputs change: bind the inputs that are fixed for a whole use
 * (e.g. `has_mask_input = 0` for every click without a mask), fold the `If` branches they decide,
 * and split the graph into a prefix that reads only the slowly changing inputs (the image
 * embeddings) and a suffix that reads the prefix's results and the per-call inputs (the prompt).
 * A caller runs the prefix once per image and the suffix once per prompt: the same nodes as the
 * whole graph, each run as often as its inputs change.
 */
import { outerScopeReads, removeDeadNodes, renameOuterScopeReads } from './dead-nodes.js';
import { getAttributeValue } from './query.js';
import { dtypeFromOnnx, initializerToTensor, tensorToInitializer } from './tensor.js';
import type { DType, Graph, Initializer, Model, Node, Tensor, ValueInfo } from './types.js';

/** A small constant met while deciding an `If` condition, values widened to numbers. */
interface SmallValue {
  dtype: DType;
  dims: number[];
  values: number[];
}

/** Condition chains are a handful of scalar ops; anything larger is not worth evaluating here. */
const MAX_SMALL_ELEMENTS = 64;

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b,
  Greater: (a, b) => a > b,
  Less: (a, b) => a < b,
  GreaterOrEqual: (a, b) => a >= b,
  LessOrEqual: (a, b) => a <= b,
};

function smallFromTensor(tensor: Tensor): SmallValue | undefined {
  if (tensor.dtype === 'string' || tensor.data.length > MAX_SMALL_ELEMENTS) return undefined;
  return { dtype: tensor.dtype, dims: [...tensor.dims], values: Array.from(tensor.data as ArrayLike<number | bigint>, Number) };
}

/**
 * `combine` over two small values of the same shape, or of which one is a single value (what
 * condition chains compare); undefined for any other pair of shapes.
 */
function elementwise(a: SmallValue, b: SmallValue, dtype: DType, combine: (x: number, y: number) => number): SmallValue | undefined {
  const sameShape = a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
  if (!sameShape && a.values.length !== 1 && b.values.length !== 1) return undefined;
  // With a single value on one side, the result takes the other side's shape (the higher rank if both are single).
  const shaped = sameShape || b.values.length === 1 ? (a.values.length === 1 && b.dims.length > a.dims.length ? b : a) : b;
  const at = (v: SmallValue, i: number): number => v.values[v.values.length === 1 ? 0 : i]!;
  return { dtype, dims: shaped.dims, values: shaped.values.map((_, i) => combine(at(a, i), at(b, i))) };
}

/**
 * Evaluates the small values of a graph that depend only on constants: initializers, Constant
 * nodes and a few scalar ops (the shape of an `If` condition such as `Cast(Not(Equal(Gather(x, 0), 0)))`).
 */
class SmallEvaluator {
  readonly #producers = new Map<string, Node>();
  readonly #initializers = new Map<string, Initializer>();
  readonly #cache = new Map<string, SmallValue | undefined>();

  constructor(graph: Graph) {
    for (const node of graph.nodes) for (const output of node.outputs) this.#producers.set(output, node);
    for (const initializer of graph.initializers) this.#initializers.set(initializer.name, initializer);
  }

  value(name: string): SmallValue | undefined {
    if (!this.#cache.has(name)) this.#cache.set(name, this.#compute(name));
    return this.#cache.get(name);
  }

  #compute(name: string): SmallValue | undefined {
    const initializer = this.#initializers.get(name);
    if (initializer) return initializer.external ? undefined : smallFromTensor(initializerToTensor(initializer));
    const node = this.#producers.get(name);
    if (!node || node.domain !== '' || node.outputs.length !== 1) return undefined;
    if (node.opType === 'Constant') {
      const tensor = getAttributeValue(node, 'value', 'tensor');
      return tensor && !tensor.external ? smallFromTensor(initializerToTensor(tensor)) : undefined;
    }
    const inputs = node.inputs.map((input) => (input === '' ? undefined : this.value(input)));
    const [x, y] = inputs;
    if (!x) return undefined;
    switch (node.opType) {
      case 'Identity':
        return x;
      case 'Cast': {
        const to = getAttributeValue(node, 'to', 'int');
        if (to === undefined) return undefined;
        const dtype = dtypeFromOnnx(Number(to));
        if (dtype === undefined) return undefined;
        const values = dtype === 'bool' ? x.values.map((v) => (v !== 0 ? 1 : 0)) : dtype.startsWith('float') ? x.values : x.values.map(Math.trunc);
        return { dtype, dims: x.dims, values };
      }
      case 'Not':
        return { dtype: 'bool', dims: x.dims, values: x.values.map((v) => (v === 0 ? 1 : 0)) };
      case 'Gather': {
        const axis = Number(getAttributeValue(node, 'axis', 'int', 0));
        if (!y || axis !== 0 || x.dims.length !== 1) return undefined;
        const picked = y.values.map((i) => x.values[i < 0 ? i + x.dims[0]! : i]);
        if (picked.some((v) => v === undefined)) return undefined;
        return { dtype: x.dtype, dims: y.dims, values: picked as number[] };
      }
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze':
        // Condition chains only reshape single values; anything else is left to the engine.
        return x.values.length === 1 ? { dtype: x.dtype, dims: [], values: x.values } : undefined;
      default: {
        const compare = COMPARISONS[node.opType];
        if (!compare || !y) return undefined;
        return elementwise(x, y, 'bool', (a, b) => (compare(a, b) ? 1 : 0));
      }
    }
  }
}

/**
 * Replaces `node` (an If) by the nodes of `branch`: the branch's own values and initializers get
 * names prefixed with the If's, its outputs take the If's output names.
 */
function inlineBranch(graph: Graph, index: number, branch: Graph, taken: Set<string>): void {
  const node = graph.nodes[index]!;
  const prefix = `${node.name || node.outputs[0]}/${branch.name || 'branch'}/`;
  const renamed = new Map<string, string>();
  const fresh = (name: string): string => {
    let candidate = prefix + name;
    for (let n = 1; taken.has(candidate); n++) candidate = `${prefix}${name}_${n}`;
    taken.add(candidate);
    return candidate;
  };
  // A branch output made by a branch node takes the If's output name directly.
  const producedInBranch = new Set(branch.nodes.flatMap((inner) => inner.outputs));
  const passThrough: Array<{ from: string; to: string }> = [];
  branch.outputs.forEach((output, j) => {
    const target = node.outputs[j];
    if (target === undefined || target === '') return;
    if (producedInBranch.has(output.name) && !renamed.has(output.name)) renamed.set(output.name, target);
    else passThrough.push({ from: output.name, to: target });
  });
  for (const name of [...branch.initializers.map((i) => i.name), ...producedInBranch]) if (!renamed.has(name)) renamed.set(name, fresh(name));
  const local = (name: string): string => renamed.get(name) ?? name;
  const inlined: Node[] = branch.nodes.map((inner) => {
    const copy: Node = { ...inner, inputs: inner.inputs.map((input) => (input === '' ? '' : local(input))), outputs: inner.outputs.map((output) => (output === '' ? '' : local(output))) };
    for (const [from, to] of renamed) if (from !== to) renameOuterScopeReads(copy, from, to);
    return copy;
  });
  for (const { from, to } of passThrough) {
    inlined.push({ name: fresh(`Identity_${to}`), opType: 'Identity', domain: '', inputs: [local(from)], outputs: [to], attributes: [] });
  }
  graph.initializers.push(...branch.initializers.map((initializer) => ({ ...initializer, name: local(initializer.name) })));
  graph.nodes.splice(index, 1, ...inlined);
}

/**
 * Binds graph inputs to constants (they become initializers and leave the input list), replaces
 * every top-level `If` whose condition then follows from constants by the branch it takes, and
 * drops the nodes left unused. Returns the number of `If` nodes folded.
 */
export function bindInputs(model: Model, constants: Readonly<Record<string, Tensor>>): number {
  const graph = model.graph;
  const bound = new Set(Object.keys(constants).filter((name) => graph.inputs.some((input) => input.name === name)));
  graph.inputs = graph.inputs.filter((input) => !bound.has(input.name));
  graph.initializers = graph.initializers.filter((initializer) => !bound.has(initializer.name));
  for (const name of bound) graph.initializers.push(tensorToInitializer(name, constants[name]!));

  const taken = new Set<string>([...graph.inputs, ...graph.outputs, ...graph.valueInfo].map((info) => info.name));
  for (const initializer of graph.initializers) taken.add(initializer.name);
  for (const node of graph.nodes) for (const output of node.outputs) taken.add(output);

  let folded = 0;
  for (let changed = true; changed; ) {
    changed = false;
    const evaluator = new SmallEvaluator(graph);
    for (let i = 0; i < graph.nodes.length; i++) {
      const node = graph.nodes[i]!;
      if (node.opType !== 'If' || node.domain !== '') continue;
      const condition = evaluator.value(node.inputs[0] ?? '');
      if (!condition || condition.values.length !== 1) continue;
      const branch = getAttributeValue(node, condition.values[0] !== 0 ? 'then_branch' : 'else_branch', 'graph');
      if (!branch) continue;
      inlineBranch(graph, i, branch, taken);
      folded++;
      changed = true;
      break;
    }
  }
  removeDeadNodes(model);
  return folded;
}

/** Output element types of the ops whose type is not their first input's. */
const FIXED_OUTPUT_TYPES: Record<string, DType[]> = {
  Shape: ['int64'],
  Size: ['int64'],
  NonZero: ['int64'],
  ArgMax: ['int64'],
  ArgMin: ['int64'],
  Equal: ['bool'],
  Greater: ['bool'],
  Less: ['bool'],
  GreaterOrEqual: ['bool'],
  LessOrEqual: ['bool'],
  Not: ['bool'],
  And: ['bool'],
  Or: ['bool'],
  Xor: ['bool'],
  IsNaN: ['bool'],
  IsInf: ['bool'],
  MatMulInteger: ['int32'],
  ConvInteger: ['int32'],
  DynamicQuantizeLinear: ['uint8', 'float32', 'uint8'],
};

/** Element types of a graph's values, from declarations and simple propagation; unknown ones absent. */
function elementTypes(graph: Graph): Map<string, DType> {
  const types = new Map<string, DType>();
  for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) {
    if (info.type?.kind === 'tensor') types.set(info.name, info.type.elemType);
  }
  for (const initializer of graph.initializers) types.set(initializer.name, initializer.dtype);
  for (const node of graph.nodes) {
    let produced: Array<DType | undefined>;
    const fixed = node.domain === '' || node.domain === 'com.microsoft' ? FIXED_OUTPUT_TYPES[node.opType] : undefined;
    if (node.opType === 'Constant') {
      produced = [getAttributeValue(node, 'value', 'tensor')?.dtype];
    } else if (node.opType === 'Cast') {
      const to = getAttributeValue(node, 'to', 'int');
      produced = [to === undefined ? undefined : dtypeFromOnnx(Number(to))];
    } else if (node.opType === 'If') {
      const branch = getAttributeValue(node, 'then_branch', 'graph');
      produced = (branch?.outputs ?? []).map((output) => (output.type?.kind === 'tensor' ? output.type.elemType : undefined));
    } else if (node.opType === 'DequantizeLinear') {
      produced = [types.get(node.inputs[1] ?? '')];
    } else if (node.opType === 'QuantizeLinear') {
      produced = [types.get(node.inputs[2] ?? '') ?? 'uint8'];
    } else if (fixed) {
      produced = fixed;
    } else {
      const first = node.inputs.find((input) => input !== '');
      produced = node.outputs.map(() => (first === undefined ? undefined : types.get(first)));
    }
    node.outputs.forEach((output, j) => {
      const dtype = produced[j];
      if (output !== '' && dtype !== undefined && !types.has(output)) types.set(output, dtype);
    });
  }
  return types;
}

export interface StagedModels {
  /** Reads the graph inputs that are not per-call; outputs `boundary`. */
  prefix: Model;
  /** Reads `boundary`, the per-call inputs and any other input it still needs; outputs the graph's outputs. */
  suffix: Model;
  /** The values computed by the prefix that the suffix reads, in the prefix's output order. */
  boundary: string[];
}

function stagedModel(model: Model, graph: Graph): Model {
  return { ...model, metadataProps: [...model.metadataProps], graph };
}

/**
 * Splits a graph into the nodes that read none of `perCallInputs` (directly or through other
 * nodes, sub-graph reads included) and the rest. Undefined when the split would not pay: no node
 * is independent of the per-call inputs, a graph output would come from the prefix, or the type of
 * a value crossing the boundary is not known.
 */
export function splitAtInputs(model: Model, perCallInputs: readonly string[]): StagedModels | undefined {
  const graph = model.graph;
  const late = new Set(perCallInputs.filter((name) => graph.inputs.some((input) => input.name === name)));
  const initialized = new Set(graph.initializers.map((initializer) => initializer.name));
  const early = new Set(graph.inputs.map((input) => input.name).filter((name) => !late.has(name) && !initialized.has(name)));
  const prefixNodes: Node[] = [];
  const suffixNodes: Node[] = [];
  for (const node of graph.nodes) {
    const reads = [...node.inputs, ...outerScopeReads(node)];
    const target = reads.some((name) => late.has(name)) ? late : reads.some((name) => early.has(name)) ? early : undefined;
    if (target) for (const output of node.outputs) if (output !== '') target.add(output);
    // Nodes of constants alone go to both parts (each keeps what it reads), so no constant crosses the boundary.
    if (target !== late) prefixNodes.push(node);
    if (target !== early) suffixNodes.push(node);
  }
  if (!prefixNodes.some((node) => node.outputs.some((output) => early.has(output))) || graph.outputs.some((output) => !late.has(output.name))) return undefined;

  const madeByPrefix = new Set(prefixNodes.flatMap((node) => node.outputs).filter((output) => early.has(output)));
  const boundary: string[] = [];
  for (const node of suffixNodes) {
    for (const name of [...node.inputs, ...outerScopeReads(node)]) if (madeByPrefix.has(name) && !boundary.includes(name)) boundary.push(name);
  }
  if (boundary.length === 0) return undefined;
  const types = elementTypes(graph);
  const boundaryInfo: ValueInfo[] = [];
  for (const name of boundary) {
    const elemType = types.get(name);
    if (elemType === undefined) return undefined;
    boundaryInfo.push({ name, type: { kind: 'tensor', elemType } });
  }
  const valueInfo = graph.valueInfo.filter((info) => !boundary.includes(info.name));

  const prefix = stagedModel(model, {
    ...graph,
    name: `${graph.name}_prefix`,
    nodes: prefixNodes,
    initializers: [...graph.initializers],
    inputs: graph.inputs.filter((input) => !late.has(input.name)),
    outputs: boundaryInfo,
    valueInfo,
  });
  removeDeadNodes(prefix);
  const prefixReads = new Set(prefix.graph.nodes.flatMap((node) => [...node.inputs, ...outerScopeReads(node)]));
  prefix.graph.inputs = prefix.graph.inputs.filter((input) => prefixReads.has(input.name));

  const suffix = stagedModel(model, {
    ...graph,
    name: `${graph.name}_suffix`,
    nodes: suffixNodes,
    initializers: [...graph.initializers],
    inputs: [...graph.inputs, ...boundaryInfo],
    outputs: [...graph.outputs],
    valueInfo,
  });
  removeDeadNodes(suffix);
  const suffixReads = new Set(suffix.graph.nodes.flatMap((node) => [...node.inputs, ...outerScopeReads(node)]));
  // Per-call inputs stay declared even when unread, so callers can feed the same prompt inputs as to the whole graph.
  suffix.graph.inputs = suffix.graph.inputs.filter((input) => suffixReads.has(input.name) || perCallInputs.includes(input.name));
  return { prefix, suffix, boundary };
}
