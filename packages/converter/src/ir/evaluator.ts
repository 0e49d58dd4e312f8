/**
 * A small reference evaluator for the operators that appear in initializer-only subgraphs of
 * PyTorch exports (shape arithmetic, weight transposes and casts). It favours clarity over speed:
 * it only ever runs on constants.
 */
import type { DType, Initializer, Node, TensorData } from '@samclip/core';
import { findAttribute, intAttr, intsAttr } from './graph-utils.js';
import { float16ToFloat32 } from '@samclip/core';
import { elementCount, toFloat16 } from './numeric.js';
import { broadcastShapes, dtypeFromCode, reshapeDims, sliceLength } from '../passes/shape-inference.js';

export interface ConstValue {
  dtype: DType;
  dims: number[];
  data: TensorData;
}

const NUMERIC_DTYPES = new Set<DType>(['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']);

function toNumbers(value: ConstValue): Float64Array {
  if (value.dtype === 'float16') return Float64Array.from(float16ToFloat32(value.data as Uint16Array));
  const data = value.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, Number);
  return Float64Array.from(data as ArrayLike<number>);
}

export function fromNumbers(dtype: DType, dims: number[], values: ArrayLike<number>): ConstValue {
  const length = values.length;
  let data: TensorData;
  switch (dtype) {
    case 'float32':
      data = Float32Array.from(values);
      break;
    case 'float64':
      data = Float64Array.from(values);
      break;
    case 'float16':
      data = toFloat16(Float32Array.from(values), false);
      break;
    case 'int8':
      data = Int8Array.from(values, Math.trunc);
      break;
    case 'uint8':
      data = Uint8Array.from(values, Math.trunc);
      break;
    case 'bool':
      data = Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
      break;
    case 'int16':
      data = Int16Array.from(values, Math.trunc);
      break;
    case 'uint16':
      data = Uint16Array.from(values, Math.trunc);
      break;
    case 'int32':
      data = Int32Array.from(values, Math.trunc);
      break;
    case 'uint32':
      data = Uint32Array.from(values, Math.trunc);
      break;
    case 'int64': {
      const out = new BigInt64Array(length);
      for (let i = 0; i < length; i++) out[i] = BigInt(Math.trunc(values[i]!));
      data = out;
      break;
    }
    case 'uint64': {
      const out = new BigUint64Array(length);
      for (let i = 0; i < length; i++) out[i] = BigInt(Math.trunc(values[i]!));
      data = out;
      break;
    }
    default:
      throw new Error(`cannot build ${dtype}`);
  }
  return { dtype, dims, data };
}

function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1]! * dims[i + 1]!;
  return out;
}

/** Maps each output index to the flat index of a broadcast input. */
function broadcastIndexer(inputDims: readonly number[], outDims: readonly number[]): (flat: number) => number {
  const rank = outDims.length;
  const offset = rank - inputDims.length;
  const inStrides = strides(inputDims);
  const outStrides = strides(outDims);
  return (flat) => {
    let index = 0;
    let rest = flat;
    for (let axis = 0; axis < rank; axis++) {
      const coord = Math.floor(rest / outStrides[axis]!);
      rest -= coord * outStrides[axis]!;
      const inAxis = axis - offset;
      if (inAxis >= 0 && inputDims[inAxis] !== 1) index += coord * inStrides[inAxis]!;
    }
    return index;
  };
}

function elementwise(inputs: ConstValue[], outType: DType, fn: (...args: number[]) => number): ConstValue {
  const outDims = broadcastShapes(inputs.map((i) => i.dims)) as number[];
  const numbers = inputs.map(toNumbers);
  const indexers = inputs.map((i) => broadcastIndexer(i.dims, outDims));
  const count = elementCount(outDims);
  const out = new Float64Array(count);
  const args = new Array<number>(inputs.length);
  for (let flat = 0; flat < count; flat++) {
    for (let k = 0; k < inputs.length; k++) args[k] = numbers[k]![indexers[k]!(flat)]!;
    out[flat] = fn(...args);
  }
  if (outType === 'float32' || outType === 'float16') return fromNumbers(outType, outDims, Float32Array.from(out));
  return fromNumbers(outType, outDims, out);
}

const INTEGER_DTYPES = new Set<DType>(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

function gatherElements(value: ConstValue, order: ArrayLike<number>, dims: number[]): ConstValue {
  const data = value.data as ArrayLike<unknown>;
  const picked = new Array<unknown>(order.length);
  for (let i = 0; i < order.length; i++) picked[i] = data[order[i]!];
  const out = Array.isArray(value.data) ? (picked as string[]) : (value.data.constructor as unknown as { from(values: unknown[]): TensorData }).from(picked);
  return { dtype: value.dtype, dims, data: out };
}

const EVALUATORS: Record<string, (node: Node, inputs: Array<ConstValue | undefined>) => ConstValue[] | undefined> = {
  Identity: (_node, [x]) => (x ? [x] : undefined),
  Cast: (node, [x]) => {
    const to = dtypeFromCode(intAttr(node, 'to', 0));
    if (!x || !to || !NUMERIC_DTYPES.has(to) || !NUMERIC_DTYPES.has(x.dtype)) return undefined;
    return [fromNumbers(to, x.dims, toNumbers(x))];
  },
  Add: (_n, [a, b]) => (a && b ? [elementwise([a, b], a.dtype, (x, y) => x + y)] : undefined),
  Sub: (_n, [a, b]) => (a && b ? [elementwise([a, b], a.dtype, (x, y) => x - y)] : undefined),
  Mul: (_n, [a, b]) => (a && b ? [elementwise([a, b], a.dtype, (x, y) => x * y)] : undefined),
  Div: (_n, [a, b]) => (a && b ? [elementwise([a, b], a.dtype, INTEGER_DTYPES.has(a.dtype) ? (x, y) => Math.trunc(x / y) : (x, y) => x / y)] : undefined),
  // fmod=0 is integer modulo with the divisor's sign (Python's %); fmod=1 is C's fmod (the dividend's sign).
  Mod: (node, [a, b]) =>
    a && b ? [elementwise([a, b], a.dtype, intAttr(node, 'fmod', 0) === 1 ? (x, y) => x % y : (x, y) => x - Math.floor(x / y) * y)] : undefined,
  Pow: (_n, [a, b]) => (a && b ? [elementwise([a, b], a.dtype, (x, y) => x ** y)] : undefined),
  Max: (_n, inputs) => (inputs.every(Boolean) ? [elementwise(inputs as ConstValue[], inputs[0]!.dtype, Math.max)] : undefined),
  Min: (_n, inputs) => (inputs.every(Boolean) ? [elementwise(inputs as ConstValue[], inputs[0]!.dtype, Math.min)] : undefined),
  Sqrt: (_n, [x]) => (x ? [elementwise([x], x.dtype, Math.sqrt)] : undefined),
  Neg: (_n, [x]) => (x ? [elementwise([x], x.dtype, (v) => -v)] : undefined),
  Reciprocal: (_n, [x]) => (x ? [elementwise([x], x.dtype, (v) => 1 / v)] : undefined),
  Equal: (_n, [a, b]) => (a && b ? [elementwise([a, b], 'bool', (x, y) => (x === y ? 1 : 0))] : undefined),
  Less: (_n, [a, b]) => (a && b ? [elementwise([a, b], 'bool', (x, y) => (x < y ? 1 : 0))] : undefined),
  Greater: (_n, [a, b]) => (a && b ? [elementwise([a, b], 'bool', (x, y) => (x > y ? 1 : 0))] : undefined),
  Not: (_n, [x]) => (x ? [elementwise([x], 'bool', (v) => (v ? 0 : 1))] : undefined),
  Where: (_n, [c, a, b]) => (c && a && b ? [elementwise([c, a, b], a.dtype, (cond, x, y) => (cond ? x : y))] : undefined),
  Shape: (node, [x]) => {
    if (!x) return undefined;
    const rank = x.dims.length;
    const norm = (v: number) => Math.max(0, Math.min(rank, v < 0 ? v + rank : v));
    const start = norm(intAttr(node, 'start', 0));
    const end = norm(intAttr(node, 'end', rank));
    return [fromNumbers('int64', [Math.max(0, end - start)], x.dims.slice(start, end))];
  },
  Reshape: (node, [x, shape]) => {
    if (!x || !shape) return undefined;
    const dims = reshapeDims(x.dims, Array.from(toNumbers(shape)), intAttr(node, 'allowzero', 0) === 1) as number[];
    return [{ ...x, dims }];
  },
  Flatten: (node, [x]) => {
    if (!x) return undefined;
    const axis = intAttr(node, 'axis', 1) < 0 ? intAttr(node, 'axis', 1) + x.dims.length : intAttr(node, 'axis', 1);
    return [{ ...x, dims: [elementCount(x.dims.slice(0, axis)), elementCount(x.dims.slice(axis))] }];
  },
  Unsqueeze: (node, [x, axesValue]) => {
    if (!x) return undefined;
    const axes = intsAttr(node, 'axes') ?? (axesValue ? Array.from(toNumbers(axesValue)) : undefined);
    if (!axes) return undefined;
    const rank = x.dims.length + axes.length;
    const inserted = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    const dims: number[] = [];
    let source = 0;
    for (let i = 0; i < rank; i++) dims.push(inserted.has(i) ? 1 : x.dims[source++]!);
    return [{ ...x, dims }];
  },
  Squeeze: (node, [x, axesValue]) => {
    if (!x) return undefined;
    const axes = intsAttr(node, 'axes') ?? (axesValue ? Array.from(toNumbers(axesValue)) : undefined);
    const removed = new Set(axes ? axes.map((a) => (a < 0 ? a + x.dims.length : a)) : x.dims.flatMap((d, i) => (d === 1 ? [i] : [])));
    return [{ ...x, dims: x.dims.filter((_, i) => !removed.has(i)) }];
  },
  Concat: (node, inputs) => {
    if (!inputs.every(Boolean) || inputs.length === 0) return undefined;
    const values = inputs as ConstValue[];
    const rank = values[0]!.dims.length;
    const axisAttr = intAttr(node, 'axis', 0);
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const outer = elementCount(values[0]!.dims.slice(0, axis));
    const order: number[] = [];
    const offsets: number[] = [];
    const merged: unknown[] = [];
    let base = 0;
    for (const v of values) {
      offsets.push(base);
      base += elementCount(v.dims);
      const data = v.data as ArrayLike<unknown>;
      for (let i = 0; i < data.length; i++) merged.push(data[i]);
    }
    for (let o = 0; o < outer; o++) {
      values.forEach((v, k) => {
        const inner = elementCount(v.dims.slice(axis));
        for (let i = 0; i < inner; i++) order.push(offsets[k]! + o * inner + i);
      });
    }
    const dims = [...values[0]!.dims];
    dims[axis] = values.reduce((sum, v) => sum + v.dims[axis]!, 0);
    const all: ConstValue = { dtype: values[0]!.dtype, dims: [merged.length], data: values[0]!.data.constructor === Array ? (merged as string[]) : ((values[0]!.data.constructor as unknown as { from(v: unknown[]): TensorData }).from(merged)) };
    return [gatherElements(all, order, dims)];
  },
  Transpose: (node, [x]) => {
    if (!x) return undefined;
    const rank = x.dims.length;
    const perm = intsAttr(node, 'perm') ?? x.dims.map((_, i) => rank - 1 - i);
    const outDims = perm.map((p) => x.dims[p]!);
    const inStrides = strides(x.dims);
    const outStrides = strides(outDims);
    const count = elementCount(x.dims);
    const order = new Int32Array(count);
    for (let flat = 0; flat < count; flat++) {
      let rest = flat;
      let source = 0;
      for (let axis = 0; axis < rank; axis++) {
        const coord = Math.floor(rest / outStrides[axis]!);
        rest -= coord * outStrides[axis]!;
        source += coord * inStrides[perm[axis]!]!;
      }
      order[flat] = source;
    }
    return [gatherElements(x, order, outDims)];
  },
  Gather: (node, [x, indices]) => {
    if (!x || !indices) return undefined;
    const rank = x.dims.length;
    const axisAttr = intAttr(node, 'axis', 0);
    const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    const idx = Array.from(toNumbers(indices), (i) => (i < 0 ? i + x.dims[axis]! : i));
    const outer = elementCount(x.dims.slice(0, axis));
    const inner = elementCount(x.dims.slice(axis + 1));
    const order: number[] = [];
    for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) order.push((o * x.dims[axis]! + i) * inner + k);
    return [gatherElements(x, order, [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)])];
  },
  Slice: (_node, [x, startsV, endsV, axesV, stepsV]) => {
    if (!x || !startsV || !endsV) return undefined;
    const rank = x.dims.length;
    const starts = Array.from(toNumbers(startsV));
    const ends = Array.from(toNumbers(endsV));
    const axes = axesV ? Array.from(toNumbers(axesV), (a) => (a < 0 ? a + rank : a)) : starts.map((_, i) => i);
    const steps = stepsV ? Array.from(toNumbers(stepsV)) : starts.map(() => 1);
    const begin = x.dims.map(() => 0);
    const step = x.dims.map(() => 1);
    const outDims = [...x.dims];
    axes.forEach((axis, i) => {
      const size = x.dims[axis]!;
      const st = steps[i]!;
      let s = starts[i]! < 0 ? starts[i]! + size : starts[i]!;
      s = st > 0 ? Math.max(0, Math.min(size, s)) : Math.max(-1, Math.min(size - 1, s));
      begin[axis] = s;
      step[axis] = st;
      outDims[axis] = sliceLength(size, starts[i]!, ends[i]!, st);
    });
    const inStrides = strides(x.dims);
    const outStrides = strides(outDims);
    const count = elementCount(outDims);
    const order = new Int32Array(count);
    for (let flat = 0; flat < count; flat++) {
      let rest = flat;
      let source = 0;
      for (let axis = 0; axis < rank; axis++) {
        const coord = Math.floor(rest / outStrides[axis]!);
        rest -= coord * outStrides[axis]!;
        source += (begin[axis]! + coord * step[axis]!) * inStrides[axis]!;
      }
      order[flat] = source;
    }
    return [gatherElements(x, order, outDims)];
  },
  ConstantOfShape: (node, [shape]) => {
    if (!shape) return undefined;
    const dims = Array.from(toNumbers(shape));
    const value = findAttribute(node, 'value');
    const fill: ConstValue = value?.type === 'tensor' && value.value.data ? { dtype: value.value.dtype, dims: [1], data: value.value.data } : fromNumbers('float32', [1], [0]);
    return [gatherElements(fill, new Int32Array(elementCount(dims)), dims)];
  },
  Expand: (_node, [x, shape]) => {
    if (!x || !shape) return undefined;
    const outDims = broadcastShapes([x.dims, Array.from(toNumbers(shape))]) as number[];
    const indexer = broadcastIndexer(x.dims, outDims);
    const order = Int32Array.from({ length: elementCount(outDims) }, (_, i) => indexer(i));
    return [gatherElements(x, order, outDims)];
  },
  Range: (_node, [start, limit, delta]) => {
    if (!start || !limit || !delta) return undefined;
    const s = toNumbers(start)[0]!;
    const l = toNumbers(limit)[0]!;
    const d = toNumbers(delta)[0]!;
    const count = Math.max(0, Math.ceil((l - s) / d));
    return [fromNumbers(start.dtype, [count], Float64Array.from({ length: count }, (_, i) => s + i * d))];
  },
};

export function canEvaluate(node: Node): boolean {
  return node.domain === '' && node.opType in EVALUATORS;
}

/** Evaluates one node on constant inputs; undefined when the op or its dtypes are not covered. */
export function evaluateNode(node: Node, inputs: Array<ConstValue | undefined>): ConstValue[] | undefined {
  const evaluator = EVALUATORS[node.opType];
  if (!evaluator || node.domain !== '') return undefined;
  if (inputs.some((i) => i && i.dtype !== 'string' && !NUMERIC_DTYPES.has(i.dtype))) return undefined;
  if (node.opType !== 'Shape' && node.opType !== 'Identity' && inputs.some((i) => i?.dtype === 'string')) return undefined;
  return evaluator(node, inputs);
}

export function initializerValue(init: Initializer): ConstValue | undefined {
  return init.data === undefined ? undefined : { dtype: init.dtype, dims: [...init.dims], data: init.data };
}
