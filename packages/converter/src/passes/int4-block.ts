/**
 * int4 block-wise weight-only quantization of MatMul/Gemm weights, along K in blocks of
 * `blockSize`, in one of three forms:
 * - `matmulnbits`: com.microsoft MatMulNBits (ORT CPU, WASM and WebGPU): B packed as
 *   uint8 [N, K/block, block/2] (low nibble first along K), scales [N·K/block], optional packed
 *   uint8 zero points [N·⌈(K/block)/2⌉] (default 8).
 * - `dq-blocked`: int4 weights read through DequantizeLinear with `block_size` (ONNX opset ≥ 21).
 * - `unpack`: the same information in opset-17 ops every engine has: packed nibbles are split with
 *   Cast/Mul/Floor/Sub, concatenated, and scaled per block (float16 scales stored, cast once).
 * Embedding tables read by Gather are stored int4 per row in every format and unpacked row by row.
 */
import type { Initializer, Model, Node } from '@samclip/core';
import { ONNX_DATA_TYPE, SamClipError, packUint4 } from '@samclip/core';
import { NameAllocator, defaultOpset, intAttr, intAttribute, makeNode, topologicalSort } from '../ir/graph-utils.js';
import { readFloats, toFloat16 } from '../ir/numeric.js';
import { quantizeInt4Blocks, transpose2d } from '../ir/quantize.js';
import type { SkippedWeight, WeightUse } from '../ir/weights.js';
import { findWeightUses, isPlainGemm } from '../ir/weights.js';
import type { Pass, PassContext, PassReport } from '../pipeline.js';
import { eliminateDeadNodes } from './dead-node-elimination.js';
import { inferTypes } from './shape-inference.js';

export type Int4Format = 'matmulnbits' | 'dq-blocked' | 'unpack';

export interface Int4Options {
  format: Int4Format;
  /** Elements per block along K: a power of two ≥ 16 (default 32). */
  blockSize?: number;
  /** Asymmetric blocks with zero points (matmulnbits only; default true). */
  zeroPoints?: boolean;
  /** MatMulNBits accuracy_level: 0 computes in float, 4 lets ORT quantize activations to int8. */
  accuracyLevel?: number;
  /** Embedding tables read by Gather become int4 rows too (default true). */
  embeddings?: boolean;
  minElements?: number;
}

interface Emitted {
  nodes: Node[];
  initializers: Initializer[];
}

/** Quantizes `[K, N]` weights column-wise in blocks along K. */
function blocksAlongK(weights: Float32Array, k: number, n: number, blockSize: number, symmetric: boolean) {
  return quantizeInt4Blocks(transpose2d(weights, k, n), n, k, blockSize, symmetric);
}

function emitMatMulNBits(use: WeightUse, matrix: Float32Array, k: number, n: number, output: string, names: NameAllocator, options: Required<Omit<Int4Options, 'minElements' | 'embeddings'>>): Emitted {
  const base = use.node.name || output;
  const blocks = blocksAlongK(matrix, k, n, options.blockSize, !options.zeroPoints);
  const packed = names.fresh(`${use.weight.name}_nbits`);
  const scales = names.fresh(`${use.weight.name}_nbits_scales`);
  const initializers: Initializer[] = [
    { name: packed, dtype: 'uint8', dims: [n, blocks.blocksPerRow, options.blockSize / 2], data: packUint4(blocks.codes) },
    { name: scales, dtype: 'float32', dims: [n * blocks.blocksPerRow], data: blocks.scales },
  ];
  const inputs = [use.node.inputs[0]!, packed, scales];
  if (options.zeroPoints) {
    const perColumn = Math.ceil(blocks.blocksPerRow / 2);
    const zp = new Uint8Array(n * perColumn);
    for (let c = 0; c < n; c++) {
      for (let b = 0; b < blocks.blocksPerRow; b++) {
        const code = blocks.zeroPoints[c * blocks.blocksPerRow + b]!;
        zp[c * perColumn + (b >> 1)]! |= b & 1 ? code << 4 : code;
      }
    }
    const zeroPoints = names.fresh(`${use.weight.name}_nbits_zero_points`);
    initializers.push({ name: zeroPoints, dtype: 'uint8', dims: [n * perColumn], data: zp });
    inputs.push(zeroPoints);
  }
  const attributes = [intAttribute('K', k), intAttribute('N', n), intAttribute('bits', 4), intAttribute('block_size', options.blockSize)];
  if (options.accuracyLevel !== 0) attributes.push(intAttribute('accuracy_level', options.accuracyLevel));
  return { nodes: [makeNode('MatMulNBits', names.fresh(`${base}_MatMulNBits`), inputs, [output], attributes, 'com.microsoft')], initializers };
}

/** DequantizeLinear with block_size over a signed int4 [K, N] weight (opset ≥ 21). */
function emitBlockedDequantize(weight: string, matrix: Float32Array, k: number, n: number, blockSize: number, names: NameAllocator): Emitted & { floatWeight: string } {
  const blocks = blocksAlongK(matrix, k, n, blockSize, true);
  const codes = new Uint8Array(k * n);
  for (let row = 0; row < k; row++) for (let col = 0; col < n; col++) codes[row * n + col] = (blocks.codes[col * blocks.paddedCols + row]! - 8) & 0x0f;
  const scales = new Float32Array(blocks.blocksPerRow * n);
  for (let b = 0; b < blocks.blocksPerRow; b++) for (let col = 0; col < n; col++) scales[b * n + col] = blocks.scales[col * blocks.blocksPerRow + b]!;
  const values = names.fresh(`${weight}_int4`);
  const scale = names.fresh(`${weight}_int4_scales`);
  const floatWeight = names.fresh(`${weight}_dequantized`);
  return {
    floatWeight,
    initializers: [
      { name: values, dtype: 'int4', dims: [k, n], data: packUint4(codes) },
      { name: scale, dtype: 'float32', dims: [blocks.blocksPerRow, n], data: scales },
    ],
    nodes: [makeNode('DequantizeLinear', names.fresh(`${weight}_DequantizeLinear`), [values, scale], [floatWeight], [intAttribute('axis', 0), intAttribute('block_size', blockSize)])],
  };
}

/**
 * Opset-17 expansion: packed[n, j] holds code[n, j] (low nibble) and code[n, j + Kp/2] (high),
 * so the unpacked halves concatenate back in order; then (code − 8) · scale per block, and a
 * transpose to [K, N].
 */
function emitUnpack(weight: string, matrix: Float32Array, k: number, n: number, blockSize: number, names: NameAllocator): Emitted & { floatWeight: string } {
  const blocks = blocksAlongK(matrix, k, n, blockSize, true);
  const kp = blocks.paddedCols;
  const half = kp / 2;
  const packed = new Uint8Array(n * half);
  for (let col = 0; col < n; col++) {
    for (let j = 0; j < half; j++) packed[col * half + j] = blocks.codes[col * kp + j]! | (blocks.codes[col * kp + j + half]! << 4);
  }
  const fresh = (suffix: string) => names.fresh(`${weight}_${suffix}`);
  const init = {
    packed: fresh('int4_packed'),
    scales: fresh('int4_scales_fp16'),
    sixteenth: fresh('int4_sixteenth'),
    sixteen: fresh('int4_sixteen'),
    eight: fresh('int4_eight'),
    blockShape: fresh('int4_block_shape'),
    rowShape: fresh('int4_row_shape'),
  };
  const v = {
    codes: fresh('codes'),
    high: fresh('high'),
    highScaled: fresh('high_scaled'),
    highTimes16: fresh('high_times_16'),
    low: fresh('low'),
    all: fresh('all_codes'),
    blocked: fresh('blocked_codes'),
    centred: fresh('centred'),
    scales: fresh('scales'),
    scaled: fresh('scaled'),
    rows: fresh('rows'),
    trimmed: fresh('trimmed'),
    floatWeight: fresh('dequantized'),
  };
  const initializers: Initializer[] = [
    { name: init.packed, dtype: 'uint8', dims: [n, half], data: packed },
    { name: init.scales, dtype: 'float16', dims: [n, blocks.blocksPerRow, 1], data: toFloat16(blocks.scales, true) },
    { name: init.sixteenth, dtype: 'float32', dims: [], data: Float32Array.of(1 / 16) },
    { name: init.sixteen, dtype: 'float32', dims: [], data: Float32Array.of(16) },
    { name: init.eight, dtype: 'float32', dims: [], data: Float32Array.of(8) },
    { name: init.blockShape, dtype: 'int64', dims: [3], data: BigInt64Array.of(BigInt(n), BigInt(blocks.blocksPerRow), BigInt(blockSize)) },
    { name: init.rowShape, dtype: 'int64', dims: [2], data: BigInt64Array.of(BigInt(n), BigInt(kp)) },
  ];
  const float32 = intAttribute('to', ONNX_DATA_TYPE.float32);
  const nodes: Node[] = [
    makeNode('Cast', fresh('cast_codes'), [init.packed], [v.codes], [float32]),
    makeNode('Mul', fresh('shift_high'), [v.codes, init.sixteenth], [v.highScaled]),
    makeNode('Floor', fresh('floor_high'), [v.highScaled], [v.high]),
    makeNode('Mul', fresh('high_back'), [v.high, init.sixteen], [v.highTimes16]),
    makeNode('Sub', fresh('take_low'), [v.codes, v.highTimes16], [v.low]),
    makeNode('Concat', fresh('join_halves'), [v.low, v.high], [v.all], [intAttribute('axis', 1)]),
    makeNode('Reshape', fresh('to_blocks'), [v.all, init.blockShape], [v.blocked]),
    makeNode('Sub', fresh('centre'), [v.blocked, init.eight], [v.centred]),
    makeNode('Cast', fresh('cast_scales'), [init.scales], [v.scales], [float32]),
    makeNode('Mul', fresh('scale'), [v.centred, v.scales], [v.scaled]),
    makeNode('Reshape', fresh('to_rows'), [v.scaled, init.rowShape], [v.rows]),
  ];
  let rows = v.rows;
  if (kp !== k) {
    const starts = fresh('trim_starts');
    const ends = fresh('trim_ends');
    const axes = fresh('trim_axes');
    initializers.push(
      { name: starts, dtype: 'int64', dims: [1], data: BigInt64Array.of(0n) },
      { name: ends, dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(k)) },
      { name: axes, dtype: 'int64', dims: [1], data: BigInt64Array.of(1n) },
    );
    nodes.push(makeNode('Slice', fresh('trim'), [v.rows, starts, ends, axes], [v.trimmed]));
    rows = v.trimmed;
  }
  nodes.push(makeNode('Transpose', fresh('to_k_by_n'), [rows], [v.floatWeight], [{ name: 'perm', value: { type: 'ints', value: [1, 0] } }]));
  return { nodes, initializers, floatWeight: v.floatWeight };
}

/**
 * An int4 embedding table read by Gather, per row in blocks along the embedding: the graph gathers
 * packed rows and their block scales and unpacks only those rows (opset-17 ops, every engine).
 */
function emitGatherUnpack(use: WeightUse, blockSize: number, names: NameAllocator): Emitted {
  const { node, weight } = use;
  const [rows, cols] = weight.dims as [number, number];
  const blocks = quantizeInt4Blocks(readFloats(weight), rows, cols, blockSize, true);
  const width = blocks.paddedCols;
  const half = width / 2;
  const packed = new Uint8Array(rows * half);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < half; j++) packed[r * half + j] = blocks.codes[r * width + j]! | (blocks.codes[r * width + j + half]! << 4);
  }
  const base = node.name || node.outputs[0]!;
  const fresh = (suffix: string) => names.fresh(`${base}_${suffix}`);
  const init = {
    packed: names.fresh(`${weight.name}_int4_packed`),
    scales: names.fresh(`${weight.name}_int4_scales_fp16`),
    sixteenth: fresh('sixteenth'),
    sixteen: fresh('sixteen'),
    eight: fresh('eight'),
    blockTail: fresh('block_tail'),
    rowTail: fresh('row_tail'),
    lastAxis: fresh('last_axis'),
  };
  const ids = node.inputs[1]!;
  const v = {
    rows: fresh('packed_rows'),
    codes: fresh('codes'),
    highScaled: fresh('high_scaled'),
    high: fresh('high'),
    highTimes16: fresh('high_times_16'),
    low: fresh('low'),
    all: fresh('all_codes'),
    idsShape: fresh('ids_shape'),
    blockShape: fresh('block_shape'),
    rowShape: fresh('row_shape'),
    blocked: fresh('blocked'),
    centred: fresh('centred'),
    rowScalesHalf: fresh('row_scales_fp16'),
    rowScales: fresh('row_scales'),
    rowScalesAxis: fresh('row_scales_axis'),
    scaled: fresh('scaled'),
    padded: fresh('padded_rows'),
  };
  const initializers: Initializer[] = [
    { name: init.packed, dtype: 'uint8', dims: [rows, half], data: packed },
    { name: init.scales, dtype: 'float16', dims: [rows, blocks.blocksPerRow], data: toFloat16(blocks.scales, true) },
    { name: init.sixteenth, dtype: 'float32', dims: [], data: Float32Array.of(1 / 16) },
    { name: init.sixteen, dtype: 'float32', dims: [], data: Float32Array.of(16) },
    { name: init.eight, dtype: 'float32', dims: [], data: Float32Array.of(8) },
    { name: init.blockTail, dtype: 'int64', dims: [2], data: BigInt64Array.of(BigInt(blocks.blocksPerRow), BigInt(blockSize)) },
    { name: init.rowTail, dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(width)) },
    { name: init.lastAxis, dtype: 'int64', dims: [1], data: BigInt64Array.of(-1n) },
  ];
  const float32 = intAttribute('to', ONNX_DATA_TYPE.float32);
  const output = node.outputs[0]!;
  const nodes: Node[] = [
    makeNode('Gather', fresh('gather_packed'), [init.packed, ids], [v.rows], [intAttribute('axis', 0)]),
    makeNode('Cast', fresh('cast_codes'), [v.rows], [v.codes], [float32]),
    makeNode('Mul', fresh('shift_high'), [v.codes, init.sixteenth], [v.highScaled]),
    makeNode('Floor', fresh('floor_high'), [v.highScaled], [v.high]),
    makeNode('Mul', fresh('high_back'), [v.high, init.sixteen], [v.highTimes16]),
    makeNode('Sub', fresh('take_low'), [v.codes, v.highTimes16], [v.low]),
    makeNode('Concat', fresh('join_halves'), [v.low, v.high], [v.all], [intAttribute('axis', -1)]),
    makeNode('Shape', fresh('ids_shape'), [ids], [v.idsShape]),
    makeNode('Concat', fresh('block_shape'), [v.idsShape, init.blockTail], [v.blockShape], [intAttribute('axis', 0)]),
    makeNode('Concat', fresh('row_shape'), [v.idsShape, init.rowTail], [v.rowShape], [intAttribute('axis', 0)]),
    makeNode('Reshape', fresh('to_blocks'), [v.all, v.blockShape], [v.blocked]),
    makeNode('Sub', fresh('centre'), [v.blocked, init.eight], [v.centred]),
    makeNode('Gather', fresh('gather_scales'), [init.scales, ids], [v.rowScalesHalf], [intAttribute('axis', 0)]),
    makeNode('Cast', fresh('cast_scales'), [v.rowScalesHalf], [v.rowScales], [float32]),
    makeNode('Unsqueeze', fresh('scales_axis'), [v.rowScales, init.lastAxis], [v.rowScalesAxis]),
    makeNode('Mul', fresh('scale'), [v.centred, v.rowScalesAxis], [v.scaled]),
  ];
  if (width === cols) nodes.push(makeNode('Reshape', fresh('to_rows'), [v.scaled, v.rowShape], [output]));
  else {
    const starts = fresh('trim_starts');
    const ends = fresh('trim_ends');
    initializers.push(
      { name: starts, dtype: 'int64', dims: [1], data: BigInt64Array.of(0n) },
      { name: ends, dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(cols)) },
    );
    nodes.push(
      makeNode('Reshape', fresh('to_rows'), [v.scaled, v.rowShape], [v.padded]),
      makeNode('Slice', fresh('trim'), [v.padded, starts, ends, init.lastAxis], [output]),
    );
  }
  return { nodes, initializers };
}

export function createInt4Pass(options: Int4Options): Pass {
  const blockSize = options.blockSize ?? 32;
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new SamClipError('INVALID_ARGUMENT', `int4 block size ${blockSize} is not a power of two ≥ 16; use 32, 64 or 128.`, { blockSize });
  }
  const settings = { format: options.format, blockSize, zeroPoints: options.zeroPoints ?? true, accuracyLevel: options.accuracyLevel ?? 0 };
  const embeddings = options.embeddings ?? true;
  return {
    name: 'int4-block',
    run(model: Model, context: PassContext): PassReport {
      const graph = model.graph;
      if (settings.format === 'dq-blocked' && defaultOpset(model.opsetImports) < 21) {
        throw new SamClipError('CONVERSION', `Blocked DequantizeLinear needs ONNX opset 21; this graph imports opset ${defaultOpset(model.opsetImports)}. Use the 'unpack' int4 format for it.`, {
          opset: defaultOpset(model.opsetImports),
        });
      }
      const types = inferTypes(graph);
      const skipped: SkippedWeight[] = [];
      const uses = findWeightUses(graph, context, options.minElements ?? 1024, skipped).filter(
        (u) => u.kind === 'matmul' || u.kind === 'gemm' || (embeddings && u.kind === 'gather'),
      );
      const names = new NameAllocator(graph);
      const removed = new Set<Node>();
      const nodes: Node[] = [];
      const initializers: Initializer[] = [];
      const floatWeights = new Map<string, string>();
      let rewritten = 0;
      for (const use of uses) {
        const { node } = use;
        if (use.kind === 'gather') {
          const emitted = emitGatherUnpack(use, blockSize, names);
          nodes.push(...emitted.nodes);
          initializers.push(...emitted.initializers);
          removed.add(node);
          rewritten++;
          continue;
        }
        const transposed = use.kind === 'gemm' && intAttr(node, 'transB', 0) === 1;
        if (use.kind === 'gemm' && !isPlainGemm(node)) {
          skipped.push({ node: node.name, reason: 'Gemm with alpha or beta other than 1' });
          continue;
        }
        const [rows, cols] = use.weight.dims as [number, number];
        const [k, n] = transposed ? [cols, rows] : [rows, cols];
        if (k < 16) {
          skipped.push({ node: node.name, reason: `K = ${k} is below 16` });
          continue;
        }
        const matrix = transposed ? transpose2d(readFloats(use.weight), rows, cols) : readFloats(use.weight);
        const output = node.outputs[0]!;
        const bias = use.kind === 'gemm' ? node.inputs[2] : undefined;
        if (settings.format === 'matmulnbits') {
          const rank = types.get(node.inputs[0]!)?.shape?.length;
          if (rank === undefined || rank < 2) {
            skipped.push({ node: node.name, reason: 'activation rank unknown or below 2' });
            continue;
          }
          const product = bias ? names.fresh(`${node.name || output}_product`) : output;
          const emitted = emitMatMulNBits(use, matrix, k, n, product, names, settings);
          nodes.push(...emitted.nodes);
          initializers.push(...emitted.initializers);
          if (bias) nodes.push(makeNode('Add', names.fresh(`${node.name || output}_bias_add`), [product, bias], [output]));
          removed.add(node);
        } else {
          const key = `${use.weight.name}|${transposed}`;
          let floatWeight = floatWeights.get(key);
          if (!floatWeight) {
            const emitted = settings.format === 'dq-blocked' ? emitBlockedDequantize(use.weight.name, matrix, k, n, blockSize, names) : emitUnpack(use.weight.name, matrix, k, n, blockSize, names);
            nodes.push(...emitted.nodes);
            initializers.push(...emitted.initializers);
            floatWeight = emitted.floatWeight;
            floatWeights.set(key, floatWeight);
          }
          // The dequantized weight is [K, N], so a transposed Gemm reads it untransposed.
          node.inputs = node.inputs.map((input, i) => (i === 1 ? floatWeight! : input));
          if (transposed) node.attributes = node.attributes.map((a) => (a.name === 'transB' ? intAttribute('transB', 0) : a));
        }
        rewritten++;
      }
      graph.nodes = graph.nodes.filter((n) => !removed.has(n)).concat(nodes);
      graph.initializers.push(...initializers);
      topologicalSort(graph);
      eliminateDeadNodes(model);
      return { pass: 'int4-block', changed: rewritten, notes: skipped.map((s) => `kept float: ${s.node} (${s.reason})`) };
    },
  };
}
