/**
 * Embedding tables read by Gather become int8 with one scale per row; the graph gathers the int8
 * rows and their scales and multiplies, so the table is never dequantized as a whole. Uses only
 * Gather/Cast/Mul, which every engine runs.
 */
import type { Initializer, Node } from '@samclip/core';
import { ONNX_DATA_TYPE } from '@samclip/core';
import type { NameAllocator } from './graph-utils.js';
import { intAttribute, makeNode } from './graph-utils.js';
import { readFloats } from './numeric.js';
import { quantizeInt8PerAxis } from './quantize.js';
import type { WeightUse } from './weights.js';

export function rewriteGatherInt8(use: WeightUse, names: NameAllocator, cache: Map<string, { table: string; scales: string }>): { nodes: Node[]; initializers: Initializer[] } {
  const { node, weight } = use;
  const initializers: Initializer[] = [];
  let entry = cache.get(weight.name);
  if (!entry) {
    const [rows, cols] = weight.dims as [number, number];
    const quantized = quantizeInt8PerAxis(readFloats(weight), weight.dims, 0);
    entry = { table: names.fresh(`${weight.name}_int8`), scales: names.fresh(`${weight.name}_row_scale`) };
    initializers.push({ name: entry.table, dtype: 'int8', dims: [rows, cols], data: quantized.values });
    initializers.push({ name: entry.scales, dtype: 'float32', dims: [rows, 1], data: quantized.scales });
    cache.set(weight.name, entry);
  }
  const indices = node.inputs[1]!;
  const output = node.outputs[0]!;
  const base = node.name || output;
  const rowsQ = names.fresh(`${base}_rows_int8`);
  const rowsF = names.fresh(`${base}_rows_float`);
  const rowScales = names.fresh(`${base}_row_scales`);
  const nodes = [
    makeNode('Gather', names.fresh(`${base}_gather_int8`), [entry.table, indices], [rowsQ], [intAttribute('axis', 0)]),
    makeNode('Cast', names.fresh(`${base}_cast`), [rowsQ], [rowsF], [intAttribute('to', ONNX_DATA_TYPE.float32)]),
    makeNode('Gather', names.fresh(`${base}_gather_scale`), [entry.scales, indices], [rowScales], [intAttribute('axis', 0)]),
    makeNode('Mul', names.fresh(`${base}_dequantize`), [rowsF, rowScales], [output]),
  ];
  return { nodes, initializers };
}
