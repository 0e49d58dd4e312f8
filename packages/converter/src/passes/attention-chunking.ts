/**
 * Attention chunking: rewrites attention whose score tensor would be large into query chunks,
 * Softmax(Q_c·Kᵀ + bias_c)·V per chunk, concatenated along the query axis, so an engine holds one
 * chunk's scores at a time instead of every score matrix at once. SAM's global-attention blocks
 * at 1024 px compute 12 heads × 4096 × 4096 float scores (805 MB), and the exported graph keeps
 * three or four such tensors alive (scores, the two relative-position sums, the softmax); chunked,
 * the same blocks need a few tens of MB.
 *
 * The rewrite is exact: Softmax runs along the key axis, so every query row is computed from its
 * own scores alone, and each chunk runs the same operators on a slice of the rows.
 *
 * What it matches, from each Softmax over the last axis back to the MatMul that makes the scores:
 * `MatMul(Q, Kᵀ) → [Reshape | Add/Sub/Mul/Div with a side input]* → Softmax → MatMul(·, V)`.
 * Reshapes may regroup the query axis (SAM's decomposed relative positions view the scores as
 * [heads, H, W, H, W] to add per-row and per-column biases); side inputs that vary along the query
 * axis are sliced with the scores, broadcast ones are read whole. Shapes must be static, so the
 * pass runs after constant folding and shape inference.
 */
import type { Graph, Initializer, Model, Node } from '@samclip/core';
import { NameAllocator, defaultOpset, indexGraph, intAttr, makeNode } from '../ir/graph-utils.js';
import type { GraphIndex } from '../ir/graph-utils.js';
import type { Pass, PassReport } from '../pipeline.js';
import { inferTypes } from './shape-inference.js';
import type { TypeMap } from './shape-inference.js';

export interface AttentionChunkingOptions {
  /** Attention is chunked when its full score tensor (every head) reaches this many bytes (default 64 MiB). */
  minScoreBytes?: number;
  /** Bytes of one chunk's score tensor the pass aims for (default 24 MiB); chunks hold whole query groups. */
  chunkScoreBytes?: number;
}

export const DEFAULT_MIN_SCORE_BYTES = 64 * 2 ** 20;
export const DEFAULT_CHUNK_SCORE_BYTES = 24 * 2 ** 20;

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);
const MAX_CHAIN = 16;
const ELEMENT_BYTES: Readonly<Record<string, number>> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

/** One node between the scores MatMul and the Softmax, with where the query axis sits in its output. */
interface ChainStep {
  node: Node;
  kind: 'reshape' | 'elementwise';
  /** Input position of the chained value (elementwise only). */
  chainInput: number;
  outShape: number[];
  /** Query axis of the output, and how many queries one index along it covers. */
  axis: number;
  stride: number;
  /** Axis of the side input to slice with the queries, when it varies along them. */
  sideAxis?: number;
}

interface AttentionMatch {
  scores: Node;
  chain: ChainStep[];
  softmax: Node;
  output: Node;
  queries: number;
  keys: number;
  /** Product of the dims before the query axis (heads × batch). */
  batch: number;
  /** Chunk boundaries must be multiples of this (the largest query grouping a Reshape makes). */
  granularity: number;
  elementBytes: number;
}

function staticShape(types: TypeMap, name: string): number[] | undefined {
  const shape = types.get(name)?.shape;
  return shape?.every((d): d is number => typeof d === 'number' && d >= 0) ? shape : undefined;
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The query axis of a value laid out as [batch…, queries, keys] in memory, viewed with `shape`. */
function queryAxis(shape: readonly number[], batch: number, queries: number): { axis: number; stride: number } | undefined {
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (product(shape.slice(0, axis)) !== batch) continue;
    const size = shape[axis]!;
    if (size > 0 && queries % size === 0) return { axis, stride: queries / size };
    return undefined;
  }
  return undefined;
}

/** Follows a Softmax back to its scores MatMul; a string says why it does not match. */
function matchAttention(softmax: Node, index: GraphIndex, types: TypeMap, opset: number): AttentionMatch | string {
  const probs = softmax.outputs[0]!;
  const probsShape = staticShape(types, probs);
  if (!probsShape || probsShape.length < 2) return 'its shape is not static';
  const rank = probsShape.length;
  const axisAttr = intAttr(softmax, 'axis', opset >= 13 ? -1 : 1);
  if ((axisAttr < 0 ? axisAttr + rank : axisAttr) !== rank - 1) return 'it does not run along the last axis';
  const consumers = index.consumers.get(probs) ?? [];
  const output = consumers[0];
  if (consumers.length !== 1 || output?.opType !== 'MatMul' || output.domain !== '' || output.inputs[0] !== probs || index.graphOutputs.has(probs)) {
    return 'its probabilities are not read by one MatMul alone';
  }
  const queries = probsShape[rank - 2]!;
  const keys = probsShape[rank - 1]!;
  const batch = product(probsShape.slice(0, rank - 2));

  const reversed: Array<{ node: Node; kind: 'reshape' | 'elementwise'; chainInput: number }> = [];
  let value = softmax.inputs[0]!;
  let scores: Node | undefined;
  for (let steps = 0; steps <= MAX_CHAIN && !scores; steps++) {
    if (index.graphOutputs.has(value) || (index.consumers.get(value) ?? []).length !== 1) return `${value} has other readers`;
    const producer = index.producers.get(value);
    if (!producer || producer.domain !== '') return 'no MatMul makes its scores';
    if (producer.opType === 'MatMul') scores = producer;
    else if (producer.opType === 'Reshape') {
      reversed.push({ node: producer, kind: 'reshape', chainInput: 0 });
      value = producer.inputs[0]!;
    } else if (ELEMENTWISE.has(producer.opType)) {
      const outShape = staticShape(types, producer.outputs[0]!);
      const candidates = [0, 1].filter((i) => {
        const shape = staticShape(types, producer.inputs[i]!);
        return shape !== undefined && outShape !== undefined && sameShape(shape, outShape) && !index.initializers.has(producer.inputs[i]!);
      });
      if (candidates.length !== 1) return `${producer.name} has no single input shaped like its scores`;
      reversed.push({ node: producer, kind: 'elementwise', chainInput: candidates[0]! });
      value = producer.inputs[candidates[0]!]!;
    } else return `${producer.opType} ${producer.name} sits between the scores and the Softmax`;
  }
  if (!scores) return 'the chain to its scores MatMul is too long';

  const scoresShape = staticShape(types, scores.outputs[0]!);
  const queryShape = staticShape(types, scores.inputs[0]!);
  const outputShape = staticShape(types, output.outputs[0]!);
  if (!scoresShape || !queryShape || !outputShape || scoresShape.length < 2 || queryShape.length < 2) return 'its scores MatMul has no static shape';
  const scoresRank = scoresShape.length;
  if (scoresShape[scoresRank - 2] !== queries || scoresShape[scoresRank - 1] !== keys || product(scoresShape.slice(0, scoresRank - 2)) !== batch) {
    return 'its scores and probabilities are laid out differently';
  }
  if (queryShape[queryShape.length - 2] !== queries || outputShape[outputShape.length - 2] !== queries) return 'Q or the output has another query count';

  const chain: ChainStep[] = [];
  let current = { shape: scoresShape, axis: scoresRank - 2, stride: 1 };
  let granularity = 1;
  for (const step of reversed.reverse()) {
    const outShape = staticShape(types, step.node.outputs[0]!);
    if (!outShape) return `${step.node.name} has no static shape`;
    if (step.kind === 'reshape') {
      const found = queryAxis(outShape, batch, queries);
      if (!found) return `${step.node.name} mixes the query axis with others`;
      chain.push({ ...step, outShape, ...found });
      current = { shape: outShape, ...found };
    } else {
      if (!sameShape(outShape, current.shape)) return `${step.node.name} broadcasts its scores to a larger shape`;
      const side = step.node.inputs[1 - step.chainInput]!;
      const sideShape = staticShape(types, side);
      if (!sideShape || sideShape.length > outShape.length) return `${step.node.name} has a side input of unknown or larger shape`;
      const sideAxis = current.axis - (outShape.length - sideShape.length);
      let sliced: number | undefined;
      if (sideAxis >= 0 && sideShape[sideAxis] !== 1) {
        if (sideShape[sideAxis] !== outShape[current.axis]) return `${step.node.name} has a side input that only partly covers the queries`;
        sliced = sideAxis;
      }
      chain.push({ ...step, outShape, axis: current.axis, stride: current.stride, ...(sliced !== undefined ? { sideAxis: sliced } : {}) });
    }
    granularity = (granularity * current.stride) / gcd(granularity, current.stride);
  }
  if (!sameShape(current.shape, probsShape) || current.stride !== 1) return 'the Softmax input is not [batch…, queries, keys]';
  const elementBytes = ELEMENT_BYTES[types.get(probs)?.elemType ?? ''];
  if (elementBytes === undefined) return 'its scores are not floating point';
  return { scores, chain, softmax, output, queries, keys, batch, granularity, elementBytes };
}

class Int64Constants {
  readonly #cache = new Map<string, string>();

  constructor(
    private readonly graph: Graph,
    private readonly names: NameAllocator,
  ) {}

  get(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.#cache.get(key);
    if (name === undefined) {
      name = this.names.fresh(`attention_chunk_${values.join('_')}`);
      const init: Initializer = { name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
      this.graph.initializers.push(init);
      this.#cache.set(key, name);
    }
    return name;
  }
}

/** The nodes computing one attention as `count` chunks of `size` queries, ending in a Concat into the original output. */
function chunkedNodes(match: AttentionMatch, size: number, types: TypeMap, names: NameAllocator, constants: Int64Constants): Node[] {
  const { scores, chain, softmax, output, queries } = match;
  const base = softmax.name.replace(/\/?Softmax[^/]*$/, '') || softmax.name;
  const queryInput = scores.inputs[0]!;
  const queryAxis = staticShape(types, queryInput)!.length - 2;
  const outputAxis = staticShape(types, output.outputs[0]!)!.length - 2;
  const nodes: Node[] = [];
  const slice = (input: string, axis: number, start: number, end: number, label: string): string => {
    const sliced = names.fresh(`${base}/chunk/${label}`);
    const inputs = [input, constants.get([start]), constants.get([end]), constants.get([axis])];
    nodes.push(makeNode('Slice', names.fresh(`${base}/chunk/Slice_${label}`), inputs, [sliced]));
    return sliced;
  };
  const pieces: string[] = [];
  for (let start = 0, chunk = 0; start < queries; start += size, chunk++) {
    const end = Math.min(queries, start + size);
    const tag = `c${chunk}`;
    let value = names.fresh(`${base}/chunk/scores_${tag}`);
    nodes.push(makeNode('MatMul', names.fresh(`${base}/chunk/${tag}/MatMul`), [slice(queryInput, queryAxis, start, end, `q_${tag}`), scores.inputs[1]!], [value]));
    for (const step of chain) {
      const next = names.fresh(`${step.node.outputs[0]!}_${tag}`);
      if (step.kind === 'reshape') {
        const shape = [...step.outShape];
        shape[step.axis] = (end - start) / step.stride;
        nodes.push(makeNode('Reshape', names.fresh(`${step.node.name}_${tag}`), [value, constants.get(shape)], [next]));
      } else {
        let side = step.node.inputs[1 - step.chainInput]!;
        if (step.sideAxis !== undefined) side = slice(side, step.sideAxis, start / step.stride, end / step.stride, `${step.node.name.split('/').pop()}_${tag}`);
        const inputs = step.chainInput === 0 ? [value, side] : [side, value];
        nodes.push(makeNode(step.node.opType, names.fresh(`${step.node.name}_${tag}`), inputs, [next]));
      }
      value = next;
    }
    const probs = names.fresh(`${softmax.outputs[0]!}_${tag}`);
    nodes.push(makeNode('Softmax', names.fresh(`${softmax.name}_${tag}`), [value], [probs], softmax.attributes));
    const piece = names.fresh(`${output.outputs[0]!}_${tag}`);
    nodes.push(makeNode('MatMul', names.fresh(`${output.name}_${tag}`), [probs, output.inputs[1]!], [piece]));
    pieces.push(piece);
  }
  nodes.push(makeNode('Concat', names.fresh(`${base}/chunk/Concat`), pieces, [output.outputs[0]!], [{ name: 'axis', value: { type: 'int', value: outputAxis } }]));
  return nodes;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

export function createAttentionChunkingPass(options: AttentionChunkingOptions = {}): Pass {
  const minScoreBytes = options.minScoreBytes ?? DEFAULT_MIN_SCORE_BYTES;
  const chunkScoreBytes = options.chunkScoreBytes ?? DEFAULT_CHUNK_SCORE_BYTES;
  return {
    name: 'attention-chunking',
    run(model: Model): PassReport {
      const graph = model.graph;
      const types = inferTypes(graph);
      const index = indexGraph(graph);
      const opset = defaultOpset(model.opsetImports);
      const names = new NameAllocator(graph);
      const constants = new Int64Constants(graph, names);
      const notes: string[] = [];
      const replaced = new Set<Node>();
      const inserts = new Map<Node, Node[]>();
      for (const softmax of graph.nodes.filter((n) => n.opType === 'Softmax' && n.domain === '')) {
        const match = matchAttention(softmax, index, types, opset);
        const scoreBytes = typeof match === 'string' ? undefined : match.batch * match.queries * match.keys * match.elementBytes;
        if (typeof match === 'string') {
          const shape = staticShape(types, softmax.outputs[0]!);
          const bytes = shape ? product(shape) * (ELEMENT_BYTES[types.get(softmax.outputs[0]!)?.elemType ?? ''] ?? 4) : 0;
          if (bytes >= minScoreBytes) notes.push(`kept ${softmax.name} (${mib(bytes)} of scores) whole: ${match}`);
          continue;
        }
        if (scoreBytes! < minScoreBytes) continue;
        const perQuery = scoreBytes! / match.queries;
        const size = Math.max(match.granularity, Math.floor(chunkScoreBytes / perQuery / match.granularity) * match.granularity);
        if (size >= match.queries) continue;
        const nodes = chunkedNodes(match, size, types, names, constants);
        for (const node of [match.scores, ...match.chain.map((s) => s.node), softmax, match.output]) replaced.add(node);
        inserts.set(match.output, nodes);
        const count = Math.ceil(match.queries / size);
        notes.push(`${softmax.name}: ${match.batch}×${match.queries}×${match.keys} scores (${mib(scoreBytes!)}) in ${count} chunks of ${size} queries (${mib(size * perQuery)} each)`);
      }
      if (replaced.size === 0) return { pass: 'attention-chunking', changed: 0, notes };
      const rebuilt: Node[] = [];
      for (const node of graph.nodes) {
        const added = inserts.get(node);
        if (added) rebuilt.push(...added);
        else if (!replaced.has(node)) rebuilt.push(node);
      }
      graph.nodes = rebuilt;
      const removedValues = new Set([...replaced].flatMap((n) => n.outputs));
      for (const nodes of inserts.values()) for (const n of nodes) for (const out of n.outputs) removedValues.delete(out);
      graph.valueInfo = graph.valueInfo.filter((v) => !removedValues.has(v.name));
      return { pass: 'attention-chunking', changed: inserts.size, notes };
    },
  };
}
