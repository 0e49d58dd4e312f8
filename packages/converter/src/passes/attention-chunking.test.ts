import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor } from '@samclip/core';
import type { Model } from '@samclip/core';
import { convertBundle } from '../convert-bundle.js';
import { convertModel } from '../convert-model.js';
import { createNodeFilter } from '../exclusions.js';
import type { PassContext } from '../pipeline.js';
import { runPasses } from '../pipeline.js';
import { buildModel, cloneModel, cosine, floatInit, int, node, randomFloats, runOrt, tensorInfo } from '../test-utils/models.js';
import type { FloatFeeds } from '../test-utils/models.js';
import { createAttentionChunkingPass } from './attention-chunking.js';
import { constantFoldingPass } from './constant-folding.js';
import { deadNodeEliminationPass } from './dead-node-elimination.js';
import { shapeInferencePass } from './shape-inference.js';

const context: PassContext = { exclusions: createNodeFilter() };
const repoRoot = resolve(import.meta.dirname, '../../../..');
const fixture = join(repoRoot, 'fixtures/tiny-random');
const fixturePresent = existsSync(join(fixture, 'samclip.json'));
if (!fixturePresent && process.env['CI']) {
  throw new Error(`The tiny-random fixture bundle is missing at ${fixture}; generate it with the exporter (npm run export) before running the converter tests.`);
}

/** Multi-head attention with a scale, an additive mask that varies per query, and a shared V. */
function maskedAttention(heads: number, queries: number, keys: number, dim: number): { model: Model; feeds: FloatFeeds } {
  const model = buildModel({
    inputs: [tensorInfo('q', 'float32', [heads, queries, dim]), tensorInfo('kt', 'float32', [heads, dim, keys]), tensorInfo('v', 'float32', [heads, keys, dim])],
    outputs: [tensorInfo('out', 'float32', [heads, queries, dim])],
    initializers: [floatInit('mask', [1, queries, keys], 7, 1), { name: 'scale', dtype: 'float32', dims: [], data: Float32Array.of(0.25) }],
    nodes: [
      node('MatMul', ['q', 'kt'], ['scores'], [], '/attn/MatMul'),
      node('Mul', ['scores', 'scale'], ['scaled'], [], '/attn/Mul'),
      node('Add', ['scaled', 'mask'], ['masked'], [], '/attn/Add'),
      node('Softmax', ['masked'], ['probs'], [int('axis', -1)], '/attn/Softmax'),
      node('MatMul', ['probs', 'v'], ['out'], [], '/attn/MatMul_1'),
    ],
  });
  const feeds: FloatFeeds = {
    q: { dims: [heads, queries, dim], data: randomFloats(heads * queries * dim, 1, 1) },
    kt: { dims: [heads, dim, keys], data: randomFloats(heads * dim * keys, 2, 1) },
    v: { dims: [heads, keys, dim], data: randomFloats(heads * keys * dim, 3, 1) },
  };
  return { model, feeds };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Folds shapes to constants and types every value, as the converter's pipeline does before chunking. */
function prepare(model: Model): void {
  runPasses(model, [constantFoldingPass, deadNodeEliminationPass, shapeInferencePass], context);
}

describe('attention chunking pass', () => {
  it('splits the queries into chunks whose concatenation equals the whole attention', async () => {
    const { model, feeds } = maskedAttention(3, 40, 24, 8);
    const chunked = cloneModel(model);
    prepare(chunked);
    // 3 heads × 24 keys × 4 bytes = 288 bytes per query: 1200 bytes → chunks of 4 queries (10 chunks).
    const report = createAttentionChunkingPass({ minScoreBytes: 1, chunkScoreBytes: 1200 }).run(chunked, context);
    expect(report.changed).toBe(1);
    expect(report.notes?.[0]).toContain('in 10 chunks of 4 queries');
    const ops = chunked.graph.nodes.map((n) => n.opType);
    expect(ops.filter((op) => op === 'Softmax')).toHaveLength(10);
    // Q and the per-query mask are sliced for every chunk; K, V and the scalar scale are read whole.
    expect(ops.filter((op) => op === 'Slice')).toHaveLength(20);
    expect(ops.at(-1)).toBe('Concat');
    const [reference, result] = await Promise.all([runOrt(model, feeds), runOrt(chunked, feeds)]);
    expect(cosine(reference['out']!, result['out']!)).toBeGreaterThan(0.9999);
    expect(maxAbsDiff(reference['out']!, result['out']!)).toBeLessThan(1e-5);
  });

  it('keeps chunk boundaries on whole query groups, with a shorter last chunk', async () => {
    const { model, feeds } = maskedAttention(2, 30, 16, 4);
    const chunked = cloneModel(model);
    prepare(chunked);
    // 2 × 16 × 4 = 128 bytes per query; 1000 bytes would be 7 queries → 5 chunks (7, 7, 7, 7, 2).
    const report = createAttentionChunkingPass({ minScoreBytes: 1, chunkScoreBytes: 1000 }).run(chunked, context);
    expect(report.notes?.[0]).toContain('in 5 chunks of 7 queries');
    const sliceEnds = chunked.graph.nodes
      .filter((n) => n.opType === 'Slice' && n.inputs[0] === 'q')
      .map((n) => Number((chunked.graph.initializers.find((i) => i.name === n.inputs[2])!.data as BigInt64Array)[0]));
    expect(sliceEnds).toEqual([7, 14, 21, 28, 30]);
    const [reference, result] = await Promise.all([runOrt(model, feeds), runOrt(chunked, feeds)]);
    expect(maxAbsDiff(reference['out']!, result['out']!)).toBeLessThan(1e-5);
  });

  it('leaves small attention and attention it cannot split alone, saying why for large ones', () => {
    const { model } = maskedAttention(2, 16, 16, 4);
    prepare(model);
    const small = createAttentionChunkingPass({ minScoreBytes: 1e9, chunkScoreBytes: 64 }).run(cloneModel(model), context);
    expect(small.changed).toBe(0);
    // The probabilities are also a graph output: splitting them would change what the graph returns.
    const exposed = cloneModel(model);
    exposed.graph.outputs.push(tensorInfo('probs', 'float32', [2, 16, 16]));
    const report = createAttentionChunkingPass({ minScoreBytes: 1, chunkScoreBytes: 64 }).run(exposed, context);
    expect(report.changed).toBe(0);
    expect(report.notes?.[0]).toMatch(/kept \/attn\/Softmax .* whole: its probabilities are not read by one MatMul alone/);
  });

  it('runs in convertModel for CPU targets when the preset asks, and the fp32 precision changes nothing else', async () => {
    const { model, feeds } = maskedAttention(2, 32, 32, 8);
    const converted = cloneModel(model);
    const reports = convertModel(converted, { to: 'fp32', target: 'ort-node', preset: { chunkAttention: { minScoreBytes: 1, attentionChunkBytes: 2048 } } });
    expect(reports.find((r) => r.pass === 'attention-chunking')?.changed).toBe(1);
    expect(reports.map((r) => r.pass)).not.toContain('float16');
    expect(converted.graph.initializers.every((i) => i.dtype !== 'float16')).toBe(true);
    const [reference, result] = await Promise.all([runOrt(model, feeds), runOrt(converted, feeds)]);
    expect(cosine(reference['out']!, result['out']!)).toBeGreaterThan(0.9999);
    const gpu = cloneModel(model);
    expect(convertModel(gpu, { to: 'fp32', target: 'ort-webgpu' }).map((r) => r.pass)).not.toContain('attention-chunking');
  });

  it.skipIf(!fixturePresent)("chunks SAM's decomposed relative-position attention in the tiny-random backbone exactly", async () => {
    const model = decodeModel(readFileSync(join(fixture, 'graphs/backbone.fp32.onnx')));
    const { name, tensor } = decodeTensor(readFileSync(join(fixture, 'references/backbone/input_0.pb')));
    const feeds: FloatFeeds = { [name]: { dims: [...tensor.dims], data: tensor.data as Float32Array } };
    prepare(model);
    const chunked = cloneModel(model);
    // Global blocks: 2 heads × 256 keys × 4 bytes per query, so 16 queries (one row of the 16×16 grid) per chunk.
    // Windowed blocks (9 windows of 6×6 tokens × 2 heads) split into whole window rows of 6 queries.
    const report = createAttentionChunkingPass({ minScoreBytes: 1, chunkScoreBytes: 2 * 256 * 4 * 16 }).run(chunked, context);
    expect(report.changed).toBe(4);
    expect(report.notes?.filter((n) => /2×256×256 scores .* in 16 chunks of 16 queries/.test(n))).toHaveLength(2);
    expect(report.notes?.filter((n) => /18×36×36 scores .* in 3 chunks of 12 queries/.test(n))).toHaveLength(2);
    const [reference, result] = await Promise.all([runOrt(model, feeds), runOrt(chunked, feeds)]);
    const output = Object.keys(reference)[0]!;
    expect(cosine(reference[output]!, result[output]!)).toBeGreaterThan(0.9999);
    expect(maxAbsDiff(reference[output]!, result[output]!)).toBeLessThan(1e-4);
  });

  it.skipIf(!fixturePresent)('writes an fp32 conversion as the fp32-<target> variant, leaving the reference fp32 alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samclip-fp32-'));
    try {
      const out = join(dir, 'bundle');
      const report = await convertBundle(fixture, { to: 'fp32', target: 'ort-wasm', graphs: ['backbone'], out, validate: false });
      expect(report.variant).toBe('fp32-ort-wasm');
      const manifest = JSON.parse(await readFile(join(out, 'samclip.json'), 'utf8')) as { graphs: Record<string, { variants: Record<string, { file: string; dtype: string }> }> };
      expect(manifest.graphs['backbone']!.variants['fp32-ort-wasm']).toMatchObject({ file: 'graphs/backbone.fp32-ort-wasm.onnx', dtype: 'fp32' });
      expect(manifest.graphs['backbone']!.variants['fp32']!.file).toBe('graphs/backbone.fp32.onnx');
      expect(report.graphs[0]!.passes.map((p) => p.pass)).toContain('attention-chunking');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  // The full-size ViT-B proof (a ~1 GB bundle, never committed) is bench/vitb-chunking-check.mjs.
});
