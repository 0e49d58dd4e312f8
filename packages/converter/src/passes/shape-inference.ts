/**
 * Shape and type inference for the operators SAM-CLIP graphs use. Every pass that changes
 * precision needs the element type of each intermediate value; the shapes let constant folding
 * resolve `Shape` chains and let quantization passes check matrix sizes. Values the rules cannot
 * infer keep whatever value_info the exporter wrote.
 */
import type { DType, Dim, Graph, Initializer, Model, Node, TensorTypeInfo, ValueInfo } from '@samclip/core';
import { ONNX_DATA_TYPE } from '@samclip/core';
import { findAttribute, intAttr, intsAttr, topologicalSort } from '../ir/graph-utils.js';
import { readIntegers } from '../ir/numeric.js';
import type { Pass, PassReport } from '../pipeline.js';

export type TypeMap = Map<string, TensorTypeInfo>;

const DTYPE_BY_CODE = new Map<number, DType>(Object.entries(ONNX_DATA_TYPE).map(([name, code]) => [code, name as DType]));

export function dtypeFromCode(code: number): DType | undefined {
  return DTYPE_BY_CODE.get(code);
}

/** Infers every value's type in the graph and records the intermediate ones as value_info. */
export function inferTypes(graph: Graph): TypeMap {
  topologicalSort(graph);
  const types: TypeMap = new Map();
  const constants = new Map<string, Initializer>();
  for (const init of graph.initializers) {
    constants.set(init.name, init);
    types.set(init.name, { kind: 'tensor', elemType: init.dtype, shape: [...init.dims] });
  }
  const declared = new Map<string, TensorTypeInfo>();
  for (const value of [...graph.valueInfo, ...graph.outputs]) {
    if (value.type?.kind === 'tensor') declared.set(value.name, value.type);
  }
  for (const input of graph.inputs) if (input.type?.kind === 'tensor') types.set(input.name, input.type);

  for (const node of graph.nodes) {
    if (node.opType === 'Constant' && node.domain === '') {
      const value = findAttribute(node, 'value');
      if (value?.type === 'tensor' && node.outputs[0]) constants.set(node.outputs[0], value.value);
    }
    const inputs = node.inputs.map((name) => (name === '' ? undefined : types.get(name)));
    let outputs: Array<TensorTypeInfo | undefined>;
    try {
      outputs = inferNode(node, inputs, (name) => constants.get(name));
    } catch {
      outputs = [];
    }
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const inferred = outputs[i];
      const known = declared.get(name);
      const chosen = inferred ? mergeWithDeclared(inferred, known) : known;
      if (chosen) types.set(name, chosen);
    });
  }

  const boundary = new Set([...graph.inputs.map((v) => v.name), ...graph.outputs.map((v) => v.name), ...constants.keys()]);
  const valueInfo: ValueInfo[] = [];
  for (const node of graph.nodes) {
    for (const name of node.outputs) {
      const type = types.get(name);
      if (name !== '' && type && !boundary.has(name)) valueInfo.push({ name, type: { ...type, shape: type.shape ? [...type.shape] : undefined } });
    }
  }
  graph.valueInfo = valueInfo;
  return types;
}

/** Inferred dims win where known; the exporter's symbolic names fill in the unknown ones. */
function mergeWithDeclared(inferred: TensorTypeInfo, declared: TensorTypeInfo | undefined): TensorTypeInfo {
  if (!declared?.shape || !inferred.shape || declared.shape.length !== inferred.shape.length) {
    return inferred.shape || !declared?.shape ? inferred : { ...inferred, shape: declared.shape };
  }
  return { ...inferred, shape: inferred.shape.map((dim, i) => (dim === null ? declared.shape![i]! : dim)) };
}

type ConstantLookup = (name: string) => Initializer | undefined;

const SAME_TYPE_UNARY = new Set([
  'Abs', 'Acos', 'Asin', 'Atan', 'Ceil', 'Celu', 'Clip', 'Cos', 'Cosh', 'CumSum', 'Dropout', 'Elu', 'Erf', 'Exp', 'Floor', 'Gelu',
  'HardSigmoid', 'HardSwish', 'Identity', 'InstanceNormalization', 'LeakyRelu', 'Log', 'LogSoftmax', 'LpNormalization', 'Mish', 'Neg',
  'PRelu', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Softmax', 'Softplus', 'Softsign', 'Sqrt', 'Tan',
  'Tanh', 'ThresholdedRelu', 'Trilu', 'BatchNormalization', 'LayerNormalization', 'QuickGelu', 'BiasGelu', 'FastGelu',
]);
const BROADCAST_SAME_TYPE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Mod', 'Sum', 'Mean', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']);
const BROADCAST_BOOL = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const REDUCE_OPS = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

function tensor(elemType: DType, shape?: Dim[]): TensorTypeInfo {
  return shape ? { kind: 'tensor', elemType, shape } : { kind: 'tensor', elemType };
}

export function broadcastShapes(shapes: Array<Dim[] | undefined>): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const shape of shapes as Dim[][]) {
      const index = shape.length - rank + i;
      // A missing leading axis broadcasts as 1; an unknown one (null) stays unknown.
      const d = index < 0 ? 1 : shape[index]!;
      if (d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) dim = typeof dim === 'number' ? dim : typeof d === 'number' ? d : null;
    }
    out.push(dim);
  }
  return out;
}

function constInts(lookup: ConstantLookup, name: string | undefined): number[] | undefined {
  if (!name) return undefined;
  const init = lookup(name);
  return init?.data === undefined ? undefined : readIntegers(init);
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function multiply(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a * b : null;
}

function spatialOutput(node: Node, input: Dim[], kernel: number[], transposed: boolean, outputPadding: number[]): Dim[] {
  const spatial = input.length - 2;
  const strides = intsAttr(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dilations = intsAttr(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = intsAttr(node, 'pads') ?? new Array<number>(spatial * 2).fill(0);
  const autoPad = findAttribute(node, 'auto_pad');
  const autoPadMode = autoPad?.type === 'string' ? autoPad.value : 'NOTSET';
  const ceil = intAttr(node, 'ceil_mode', 0) === 1;
  const result: Dim[] = [];
  for (let i = 0; i < spatial; i++) {
    const size = input[i + 2];
    const stride = strides[i] ?? 1;
    if (typeof size !== 'number') {
      result.push(null);
      continue;
    }
    const effectiveKernel = ((kernel[i] ?? 1) - 1) * (dilations[i] ?? 1) + 1;
    if (autoPadMode === 'SAME_UPPER' || autoPadMode === 'SAME_LOWER') {
      result.push(transposed ? size * stride : Math.ceil(size / stride));
    } else if (autoPadMode === 'VALID') {
      result.push(transposed ? (size - 1) * stride + effectiveKernel + (outputPadding[i] ?? 0) : Math.floor((size - effectiveKernel) / stride) + 1);
    } else {
      const padTotal = (pads[i] ?? 0) + (pads[i + spatial] ?? 0);
      if (transposed) result.push((size - 1) * stride + effectiveKernel - padTotal + (outputPadding[i] ?? 0));
      else {
        const span = size + padTotal - effectiveKernel;
        result.push((ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1);
      }
    }
  }
  return result;
}

/** Output types of one node from its input types; undefined entries are unknown. */
export function inferNode(node: Node, inputs: Array<TensorTypeInfo | undefined>, lookup: ConstantLookup): Array<TensorTypeInfo | undefined> {
  const first = inputs[0];
  const shape0 = first?.shape;
  const op = node.opType;
  if (node.domain === 'com.microsoft') {
    if (op === 'MatMulNBits' && first) {
      const n = intAttr(node, 'N');
      return [tensor(first.elemType, shape0 && n !== undefined ? [...shape0.slice(0, -1), n] : undefined)];
    }
    if ((op === 'QuickGelu' || op === 'BiasGelu' || op === 'FastGelu') && first) return [first];
    return [];
  }
  if (op === 'If') {
    // Both branches declare the same output types; shapes may differ between them, so only the
    // element type is certain.
    const branch = findAttribute(node, 'then_branch');
    if (branch?.type !== 'graph') return [];
    return branch.value.outputs.map((output) => (output.type?.kind === 'tensor' ? tensor(output.type.elemType) : undefined));
  }
  if (SAME_TYPE_UNARY.has(op)) {
    if (!first) return [];
    if (op === 'LayerNormalization') {
      const axis = normalizeAxis(intAttr(node, 'axis', -1), shape0?.length ?? 0);
      const statsShape = shape0?.map((d, i) => (i < axis ? d : 1));
      const statsType = tensor(dtypeFromCode(intAttr(node, 'stash_type', 1)) ?? 'float32', statsShape);
      return [first, statsType, statsType];
    }
    if (op === 'Dropout') return [first, tensor('bool', shape0)];
    return [first];
  }
  if (BROADCAST_SAME_TYPE.has(op)) {
    if (!first) return [];
    return [tensor(first.elemType, broadcastShapes(inputs.map((i) => i?.shape)))];
  }
  if (BROADCAST_BOOL.has(op)) return [tensor('bool', broadcastShapes(inputs.map((i) => i?.shape)))];
  if (REDUCE_OPS.has(op)) {
    if (!first) return [];
    const keepDims = intAttr(node, 'keepdims', 1) === 1;
    const axesInput = node.inputs[1];
    const axes = intsAttr(node, 'axes') ?? (axesInput ? constInts(lookup, axesInput) : []);
    if (!shape0 || axes === undefined) return [tensor(first.elemType)];
    const reduceAll = axes.length === 0 && intAttr(node, 'noop_with_empty_axes', 0) === 0;
    if (axes.length === 0 && !reduceAll) return [first];
    const reduced = new Set(reduceAll ? shape0.map((_, i) => i) : axes.map((a) => normalizeAxis(a, shape0.length)));
    const shape: Dim[] = [];
    shape0.forEach((d, i) => {
      if (!reduced.has(i)) shape.push(d);
      else if (keepDims) shape.push(1);
    });
    return [tensor(first.elemType, shape)];
  }
  switch (op) {
    case 'Not':
    case 'IsNaN':
    case 'IsInf':
      return [tensor('bool', shape0)];
    case 'Where':
      return inputs[1] ? [tensor(inputs[1].elemType, broadcastShapes(inputs.map((i) => i?.shape)))] : [];
    case 'Cast': {
      const to = dtypeFromCode(intAttr(node, 'to', 0));
      return to ? [tensor(to, shape0)] : [];
    }
    case 'CastLike':
      return inputs[1] ? [tensor(inputs[1].elemType, shape0)] : [];
    case 'Constant': {
      const value = findAttribute(node, 'value');
      if (value?.type === 'tensor') return [tensor(value.value.dtype, [...value.value.dims])];
      if (findAttribute(node, 'value_float')) return [tensor('float32', [])];
      if (findAttribute(node, 'value_floats')) return [tensor('float32', [null])];
      if (findAttribute(node, 'value_int')) return [tensor('int64', [])];
      if (findAttribute(node, 'value_ints')) return [tensor('int64', [null])];
      return [];
    }
    case 'ConstantOfShape': {
      const value = findAttribute(node, 'value');
      const dtype = value?.type === 'tensor' ? value.value.dtype : 'float32';
      return [tensor(dtype, constInts(lookup, node.inputs[0]) ?? (shape0 && typeof shape0[0] === 'number' ? new Array<Dim>(shape0[0]).fill(null) : undefined))];
    }
    case 'Shape': {
      if (!shape0) return [tensor('int64', [null])];
      const rank = shape0.length;
      const start = Math.max(0, Math.min(rank, normalizeAxis(intAttr(node, 'start', 0), rank)));
      const endAttr = intAttr(node, 'end');
      const end = endAttr === undefined ? rank : Math.max(0, Math.min(rank, normalizeAxis(endAttr, rank)));
      return [tensor('int64', [Math.max(0, end - start)])];
    }
    case 'Size':
      return [tensor('int64', [])];
    case 'MatMul':
    case 'MatMulInteger': {
      const elemType = op === 'MatMulInteger' ? 'int32' : first?.elemType;
      if (!elemType) return [];
      return [tensor(elemType, matmulShape(shape0, inputs[1]?.shape))];
    }
    case 'Gemm': {
      if (!first) return [];
      const b = inputs[1]?.shape;
      if (!shape0 || !b) return [tensor(first.elemType)];
      const m = intAttr(node, 'transA', 0) ? shape0[1]! : shape0[0]!;
      const n = intAttr(node, 'transB', 0) ? b[0]! : b[1]!;
      return [tensor(first.elemType, [m, n])];
    }
    case 'Conv':
    case 'ConvInteger':
    case 'ConvTranspose': {
      const elemType = op === 'ConvInteger' ? 'int32' : first?.elemType;
      const weight = inputs[1]?.shape;
      if (!elemType) return [];
      if (!shape0 || !weight) return [tensor(elemType)];
      const kernel = intsAttr(node, 'kernel_shape') ?? weight.slice(2).map((d) => (typeof d === 'number' ? d : 1));
      const group = intAttr(node, 'group', 1);
      const channels = op === 'ConvTranspose' ? multiply(weight[1]!, group) : weight[0]!;
      const outputShape = intsAttr(node, 'output_shape');
      const spatial = outputShape ?? spatialOutput(node, shape0, kernel, op === 'ConvTranspose', intsAttr(node, 'output_padding') ?? []);
      return [tensor(elemType, [shape0[0]!, channels, ...spatial])];
    }
    case 'MaxPool':
    case 'AveragePool': {
      if (!first) return [];
      if (!shape0) return [first];
      const kernel = intsAttr(node, 'kernel_shape') ?? [];
      return [tensor(first.elemType, [shape0[0]!, shape0[1]!, ...spatialOutput(node, shape0, kernel, false, [])])];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      return first ? [tensor(first.elemType, shape0 ? [shape0[0]!, shape0[1]!, ...shape0.slice(2).map(() => 1)] : undefined)] : [];
    case 'Reshape': {
      if (!first) return [];
      const target = constInts(lookup, node.inputs[1]);
      if (!target) {
        const rank = inputs[1]?.shape?.[0];
        return [tensor(first.elemType, typeof rank === 'number' ? new Array<Dim>(rank).fill(null) : undefined)];
      }
      return [tensor(first.elemType, reshapeDims(shape0, target, intAttr(node, 'allowzero', 0) === 1))];
    }
    case 'Flatten': {
      if (!first) return [];
      if (!shape0) return [tensor(first.elemType, [null, null])];
      const axis = normalizeAxis(intAttr(node, 'axis', 1), shape0.length);
      return [tensor(first.elemType, [shape0.slice(0, axis).reduce<Dim>(multiply, 1), shape0.slice(axis).reduce<Dim>(multiply, 1)])];
    }
    case 'Transpose': {
      if (!first) return [];
      if (!shape0) return [first];
      const perm = intsAttr(node, 'perm') ?? shape0.map((_, i) => shape0.length - 1 - i);
      return [tensor(first.elemType, perm.map((p) => shape0[p] ?? null))];
    }
    case 'Unsqueeze': {
      if (!first) return [];
      const axes = intsAttr(node, 'axes') ?? constInts(lookup, node.inputs[1]);
      if (!shape0 || !axes) return [tensor(first.elemType)];
      const rank = shape0.length + axes.length;
      const inserted = new Set(axes.map((a) => normalizeAxis(a, rank)));
      const out: Dim[] = [];
      let source = 0;
      for (let i = 0; i < rank; i++) out.push(inserted.has(i) ? 1 : (shape0[source++] ?? null));
      return [tensor(first.elemType, out)];
    }
    case 'Squeeze': {
      if (!first) return [];
      const axes = intsAttr(node, 'axes') ?? constInts(lookup, node.inputs[1]);
      if (!shape0) return [tensor(first.elemType)];
      if (!axes && shape0.some((d) => typeof d !== 'number')) return [tensor(first.elemType)];
      const removed = new Set(axes ? axes.map((a) => normalizeAxis(a, shape0.length)) : shape0.flatMap((d, i) => (d === 1 ? [i] : [])));
      return [tensor(first.elemType, shape0.filter((_, i) => !removed.has(i)))];
    }
    case 'Concat': {
      if (!first) return [];
      if (inputs.some((i) => !i?.shape)) return [tensor(first.elemType)];
      const rank = shape0!.length;
      const axis = normalizeAxis(intAttr(node, 'axis', 0), rank);
      const out = broadcastLike(inputs.map((i) => i!.shape!), axis);
      out[axis] = inputs.reduce<Dim>((sum, i) => {
        const d = i!.shape![axis] ?? null;
        return typeof sum === 'number' && typeof d === 'number' ? sum + d : null;
      }, 0);
      return [tensor(first.elemType, out)];
    }
    case 'Split': {
      if (!first) return [];
      const count = node.outputs.length;
      if (!shape0) return node.outputs.map(() => tensor(first.elemType));
      const axis = normalizeAxis(intAttr(node, 'axis', 0), shape0.length);
      const sizes = intsAttr(node, 'split') ?? constInts(lookup, node.inputs[1]);
      const total = shape0[axis];
      return node.outputs.map((_, i) => {
        const shape = [...shape0];
        if (sizes) shape[axis] = sizes[i] ?? null;
        else if (typeof total === 'number') {
          const chunk = Math.ceil(total / count);
          shape[axis] = i < count - 1 ? chunk : total - chunk * (count - 1);
        } else shape[axis] = null;
        return tensor(first.elemType, shape);
      });
    }
    case 'Slice':
      return first ? [tensor(first.elemType, sliceShape(node, shape0, lookup))] : [];
    case 'Gather': {
      if (!first) return [];
      const indices = inputs[1]?.shape;
      if (!shape0 || !indices) return [tensor(first.elemType)];
      const axis = normalizeAxis(intAttr(node, 'axis', 0), shape0.length);
      return [tensor(first.elemType, [...shape0.slice(0, axis), ...indices, ...shape0.slice(axis + 1)])];
    }
    case 'GatherElements':
      return first ? [tensor(first.elemType, inputs[1]?.shape)] : [];
    case 'Expand': {
      if (!first) return [];
      const target = constInts(lookup, node.inputs[1]);
      return [tensor(first.elemType, target ? broadcastShapes([shape0, target]) : undefined)];
    }
    case 'Tile': {
      if (!first) return [];
      const repeats = constInts(lookup, node.inputs[1]);
      return [tensor(first.elemType, shape0 && repeats ? shape0.map((d, i) => multiply(d, repeats[i] ?? 1)) : undefined)];
    }
    case 'Pad': {
      if (!first) return [];
      const pads = intsAttr(node, 'pads') ?? constInts(lookup, node.inputs[1]);
      if (!shape0 || !pads || node.inputs[3]) return [tensor(first.elemType, shape0?.map(() => null))];
      const rank = shape0.length;
      return [tensor(first.elemType, shape0.map((d, i) => (typeof d === 'number' ? d + (pads[i] ?? 0) + (pads[i + rank] ?? 0) : null)))];
    }
    case 'Resize': {
      if (!first) return [];
      if (!shape0) return [first];
      const sizes = constInts(lookup, node.inputs[3]);
      if (sizes && sizes.length === shape0.length) return [tensor(first.elemType, sizes)];
      const scalesInit = node.inputs[2] ? lookup(node.inputs[2]) : undefined;
      if (scalesInit?.data instanceof Float32Array && scalesInit.data.length === shape0.length) {
        const scales = scalesInit.data;
        return [tensor(first.elemType, shape0.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]!) : null)))];
      }
      return [tensor(first.elemType, shape0.map(() => null))];
    }
    case 'Range':
      return first ? [tensor(first.elemType, [null])] : [];
    case 'ArgMax':
    case 'ArgMin': {
      if (!shape0) return [tensor('int64')];
      const axis = normalizeAxis(intAttr(node, 'axis', 0), shape0.length);
      const keep = intAttr(node, 'keepdims', 1) === 1;
      return [tensor('int64', keep ? shape0.map((d, i) => (i === axis ? 1 : d)) : shape0.filter((_, i) => i !== axis))];
    }
    case 'TopK':
      return first ? [tensor(first.elemType, shape0?.map(() => null)), tensor('int64', shape0?.map(() => null))] : [];
    case 'NonZero':
      return [tensor('int64', [shape0?.length ?? null, null])];
    case 'Einsum':
      return first ? [tensor(first.elemType)] : [];
    case 'DynamicQuantizeLinear':
      return [tensor('uint8', shape0), tensor('float32', []), tensor('uint8', [])];
    case 'DequantizeLinear':
      return [tensor(inputs[1]?.elemType ?? 'float32', shape0)];
    case 'QuantizeLinear':
      return [tensor(inputs[2]?.elemType ?? 'uint8', shape0)];
    default:
      return [];
  }
}

function broadcastLike(shapes: Dim[][], skipAxis: number): Dim[] {
  const base = [...shapes[0]!];
  for (const shape of shapes) {
    shape.forEach((d, i) => {
      if (i !== skipAxis && base[i] === null && d !== null) base[i] = d;
    });
  }
  return base;
}

export function matmulShape(a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (!a || !b) return undefined;
  const aRank = a.length;
  const bRank = b.length;
  if (aRank === 1 && bRank === 1) return [];
  if (aRank === 1) return [...b.slice(0, -2), b[bRank - 1]!];
  if (bRank === 1) return a.slice(0, -1);
  const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]) ?? [];
  return [...batch, a[aRank - 2]!, b[bRank - 1]!];
}

export function reshapeDims(input: Dim[] | undefined, target: number[], allowZero: boolean): Dim[] {
  const out: Dim[] = target.map((t, i) => (t === 0 && !allowZero ? (input?.[i] ?? null) : t));
  const inferIndex = out.indexOf(-1);
  if (inferIndex >= 0) {
    const total = input?.reduce<Dim>(multiply, 1) ?? null;
    const known = out.reduce<Dim>((acc, d, i) => (i === inferIndex ? acc : multiply(acc, d)), 1);
    out[inferIndex] = typeof total === 'number' && typeof known === 'number' && known !== 0 ? total / known : null;
  }
  return out;
}

function sliceShape(node: Node, shape: Dim[] | undefined, lookup: ConstantLookup): Dim[] | undefined {
  if (!shape) return undefined;
  const starts = intsAttr(node, 'starts') ?? constInts(lookup, node.inputs[1]);
  const ends = intsAttr(node, 'ends') ?? constInts(lookup, node.inputs[2]);
  if (!starts || !ends) return shape.map(() => null);
  const axes = intsAttr(node, 'axes') ?? (node.inputs[3] ? constInts(lookup, node.inputs[3]) : undefined) ?? starts.map((_, i) => i);
  const steps = (node.inputs[4] ? constInts(lookup, node.inputs[4]) : undefined) ?? starts.map(() => 1);
  const out = [...shape];
  axes.forEach((rawAxis, i) => {
    const axis = normalizeAxis(rawAxis, shape.length);
    const size = shape[axis];
    if (typeof size !== 'number') {
      out[axis] = null;
      return;
    }
    out[axis] = sliceLength(size, starts[i]!, ends[i]!, steps[i] ?? 1);
  });
  return out;
}

/** Number of elements `Slice` keeps along one axis of `size`, per the ONNX clamping rules. */
export function sliceLength(size: number, start: number, end: number, step: number): number {
  const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));
  let s = start < 0 ? start + size : start;
  let e = end < 0 ? end + size : end;
  if (step > 0) {
    s = clamp(s, 0, size);
    e = clamp(e, 0, size);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, -1, size - 1);
  e = clamp(e, -1, size - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

export const shapeInferencePass: Pass = {
  name: 'shape-inference',
  run(model: Model): PassReport {
    const types = inferTypes(model.graph);
    return { pass: 'shape-inference', changed: model.graph.valueInfo.length, notes: [`${types.size} values typed`] };
  },
};
