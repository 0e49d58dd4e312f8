/**
 * int8 dynamic quantization for ORT CPU/WASM, the pattern onnxruntime's quantize_dynamic emits and
 * its optimizer fuses into DynamicQuantizeMatMul:
 *   DynamicQuantizeLinear(A) → (A_u8, a_scale, a_zp)
 *   MatMulInteger(A_u8, W_s8, a_zp, w_zp) → int32 → Cast float → · (a_scale · w_scale)
 * Weights are symmetric int8 (zero point 0) per output column or per tensor; activations are
 * uint8 as MatMulInteger requires. Conv kernels can optionally go through ConvInteger (uint8
 * weights, per tensor, the types ORT's CPU kernel accepts); embedding tables become int8 rows.
 */
import type { Initializer, Model, Node } from '@samclip/core';
import { ONNX_DATA_TYPE } from '@samclip/core';
import { NameAllocator, intAttr, intAttribute, makeNode, topologicalSort } from '../ir/graph-utils.js';
import { readFloats } from '../ir/numeric.js';
import { quantizeInt8PerAxis, quantizeUint8PerTensor, transpose2d } from '../ir/quantize.js';
import type { SkippedWeight, WeightUse } from '../ir/weights.js';
import { findWeightUses, isPlainGemm } from '../ir/weights.js';
import type { Pass, PassContext, PassReport } from '../pipeline.js';
import { rewriteGatherInt8 } from '../ir/embedding-int8.js';
import { eliminateDeadNodes } from './dead-node-elimination.js';
import { inferTypes } from './shape-inference.js';

export interface Int8DynamicOptions {
  /** One weight scale per output column (default) or one per tensor. */
  perChannel?: boolean;
  /** Quantize weights to ±63 instead of ±127, for x86 CPUs without VNNI whose u8×s8 kernels saturate. */
  reduceRange?: boolean;
  /** Also rewrite Conv through ConvInteger. */
  conv?: boolean;
  /** Embedding tables read by Gather become int8 rows. */
  embeddings?: boolean;
  /** Weights with fewer elements stay float32. */
  minElements?: number;
  /**
   * Static calibration: activation name → observed [min, max] (see `calibrateActivationRanges`).
   * Calibrated activations use a constant-scale QuantizeLinear instead of DynamicQuantizeLinear.
   */
  activationRanges?: Readonly<Record<string, { min: number; max: number }>>;
}

interface ActivationQuant {
  quantized: string;
  scale: string;
  zeroPoint: string;
}

export function createInt8DynamicPass(options: Int8DynamicOptions = {}): Pass {
  const perChannel = options.perChannel ?? true;
  const qmax = options.reduceRange ? 63 : 127;
  return {
    name: 'int8-dynamic',
    run(model: Model, context: PassContext): PassReport {
      const graph = model.graph;
      inferTypes(graph);
      const skipped: SkippedWeight[] = [];
      const uses = findWeightUses(graph, context, options.minElements ?? 1024, skipped);
      const names = new NameAllocator(graph);
      const activations = new Map<string, ActivationQuant>();
      const gatherCache = new Map<string, { table: string; scales: string }>();
      const weightCache = new Map<string, { values: string; scale: string; zeroPoint: string }>();
      const removed = new Set<Node>();
      const nodes: Node[] = [];
      const initializers: Initializer[] = [];

      const quantizeActivation = (input: string): ActivationQuant => {
        const existing = activations.get(input);
        if (existing) return existing;
        const range = options.activationRanges?.[input];
        if (range) {
          // uint8 asymmetric over the calibrated range, widened to include 0 as ONNX requires.
          const min = Math.min(0, range.min);
          const max = Math.max(0, range.max);
          const scale = max > min ? (max - min) / 255 : 1;
          const calibrated = { quantized: names.fresh(`${input}_quantized`), scale: names.fresh(`${input}_scale`), zeroPoint: names.fresh(`${input}_zero_point`) };
          initializers.push(
            { name: calibrated.scale, dtype: 'float32', dims: [], data: Float32Array.of(scale) },
            { name: calibrated.zeroPoint, dtype: 'uint8', dims: [], data: Uint8Array.of(Math.max(0, Math.min(255, Math.round(-min / scale)))) },
          );
          nodes.push(makeNode('QuantizeLinear', names.fresh(`${input}_QuantizeLinear`), [input, calibrated.scale, calibrated.zeroPoint], [calibrated.quantized]));
          activations.set(input, calibrated);
          return calibrated;
        }
        const created = { quantized: names.fresh(`${input}_quantized`), scale: names.fresh(`${input}_scale`), zeroPoint: names.fresh(`${input}_zero_point`) };
        nodes.push(makeNode('DynamicQuantizeLinear', names.fresh(`${input}_DynamicQuantizeLinear`), [input], [created.quantized, created.scale, created.zeroPoint]));
        activations.set(input, created);
        return created;
      };

      const quantizeMatrix = (use: WeightUse, transposed: boolean) => {
        const key = `${use.weight.name}|${transposed}`;
        const cached = weightCache.get(key);
        if (cached) return cached;
        const [rows, cols] = use.weight.dims as [number, number];
        const matrix = transposed ? transpose2d(readFloats(use.weight), rows, cols) : readFloats(use.weight);
        const [k, n] = transposed ? [cols, rows] : [rows, cols];
        const quantized = perChannel ? quantizeInt8PerAxis(matrix, [k, n], 1, qmax) : quantizeInt8PerAxis(matrix, [1, k * n], 0, qmax);
        const entry = {
          values: names.fresh(`${use.weight.name}_quantized`),
          scale: names.fresh(`${use.weight.name}_scale`),
          zeroPoint: names.fresh(`${use.weight.name}_zero_point`),
        };
        const scaleDims = perChannel ? [n] : [];
        initializers.push({ name: entry.values, dtype: 'int8', dims: [k, n], data: quantized.values });
        initializers.push({ name: entry.scale, dtype: 'float32', dims: scaleDims, data: quantized.scales });
        initializers.push({ name: entry.zeroPoint, dtype: 'int8', dims: scaleDims, data: new Int8Array(perChannel ? n : 1) });
        weightCache.set(key, entry);
        return entry;
      };

      let rewritten = 0;
      for (const use of uses) {
        const { node } = use;
        const base = node.name || node.outputs[0]!;
        const output = node.outputs[0]!;
        if (use.kind === 'gather') {
          if (options.embeddings === false) continue;
          const rewrite = rewriteGatherInt8(use, names, gatherCache);
          nodes.push(...rewrite.nodes);
          initializers.push(...rewrite.initializers);
        } else if (use.kind === 'matmul' || use.kind === 'gemm') {
          if (use.kind === 'gemm' && !isPlainGemm(node)) {
            skipped.push({ node: node.name, reason: 'Gemm with alpha or beta other than 1' });
            continue;
          }
          const weight = quantizeMatrix(use, use.kind === 'gemm' && intAttr(node, 'transB', 0) === 1);
          const activation = quantizeActivation(node.inputs[0]!);
          const integer = names.fresh(`${base}_MatMulInteger_output`);
          const floats = names.fresh(`${base}_cast_output`);
          const scale = names.fresh(`${base}_combined_scale`);
          const bias = use.kind === 'gemm' ? node.inputs[2] : undefined;
          const product = bias ? names.fresh(`${base}_product`) : output;
          nodes.push(
            makeNode('MatMulInteger', names.fresh(`${base}_MatMulInteger`), [activation.quantized, weight.values, activation.zeroPoint, weight.zeroPoint], [integer]),
            makeNode('Cast', names.fresh(`${base}_cast`), [integer], [floats], [intAttribute('to', ONNX_DATA_TYPE.float32)]),
            makeNode('Mul', names.fresh(`${base}_scale_mul`), [activation.scale, weight.scale], [scale]),
            makeNode('Mul', names.fresh(`${base}_output_mul`), [floats, scale], [product]),
          );
          if (bias) nodes.push(makeNode('Add', names.fresh(`${base}_bias_add`), [product, bias], [output]));
        } else if (use.kind === 'conv' && options.conv) {
          const quantized = quantizeUint8PerTensor(readFloats(use.weight));
          const values = names.fresh(`${use.weight.name}_quantized`);
          const weightZero = names.fresh(`${use.weight.name}_zero_point`);
          const weightScale = names.fresh(`${use.weight.name}_scale`);
          initializers.push(
            { name: values, dtype: 'uint8', dims: [...use.weight.dims], data: quantized.values },
            { name: weightZero, dtype: 'uint8', dims: [], data: Uint8Array.of(quantized.zeroPoint) },
            { name: weightScale, dtype: 'float32', dims: [], data: Float32Array.of(quantized.scale) },
          );
          const activation = quantizeActivation(node.inputs[0]!);
          const integer = names.fresh(`${base}_ConvInteger_output`);
          const floats = names.fresh(`${base}_cast_output`);
          const scale = names.fresh(`${base}_combined_scale`);
          const bias = node.inputs[2];
          const product = bias ? names.fresh(`${base}_product`) : output;
          const attributes = node.attributes.filter((a) => ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(a.name));
          nodes.push(
            makeNode('ConvInteger', names.fresh(`${base}_ConvInteger`), [activation.quantized, values, activation.zeroPoint, weightZero], [integer], attributes),
            makeNode('Cast', names.fresh(`${base}_cast`), [integer], [floats], [intAttribute('to', ONNX_DATA_TYPE.float32)]),
            makeNode('Mul', names.fresh(`${base}_scale_mul`), [activation.scale, weightScale], [scale]),
            makeNode('Mul', names.fresh(`${base}_output_mul`), [floats, scale], [product]),
          );
          if (bias) {
            const channels = use.weight.dims[0]!;
            const biasShape = names.fresh(`${base}_bias_shape`);
            const spatial = use.weight.dims.length - 2;
            initializers.push({ name: biasShape, dtype: 'int64', dims: [2 + spatial], data: BigInt64Array.from([1n, BigInt(channels), ...new Array<bigint>(spatial).fill(1n)]) });
            const reshaped = names.fresh(`${base}_bias_reshaped`);
            nodes.push(
              makeNode('Reshape', names.fresh(`${base}_bias_reshape`), [bias, biasShape], [reshaped]),
              makeNode('Add', names.fresh(`${base}_bias_add`), [product, reshaped], [output]),
            );
          }
        } else {
          continue;
        }
        removed.add(node);
        rewritten++;
      }
      graph.nodes = graph.nodes.filter((n) => !removed.has(n)).concat(nodes);
      graph.initializers.push(...initializers);
      topologicalSort(graph);
      eliminateDeadNodes(model);
      return { pass: 'int8-dynamic', changed: rewritten, notes: skipped.map((s) => `kept float: ${s.node} (${s.reason})`) };
    },
  };
}
