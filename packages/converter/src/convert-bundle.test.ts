import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSamClipError, resolveBackend } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import { convertBundle } from './convert-bundle.js';
import type { ConversionProgress } from './convert-bundle.js';
import { registerTestBackends } from './test-utils/backends.js';
import { writeClipBundle } from './test-utils/clip-bundle.js';
import { CONVERTER_ID } from './version.js';

let root: string;

beforeAll(async () => {
  await registerTestBackends();
  root = await mkdtemp(join(tmpdir(), 'samclip-converter-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshBundle(name: string): Promise<string> {
  const dir = join(root, name);
  await writeClipBundle(dir);
  return dir;
}

describe('convertBundle', () => {
  it('validates against the fp32 graph run beside the variant when asked, with the same verdicts as against the stored outputs', async () => {
    const stored = await convertBundle(await freshBundle('against-stored'), { to: 'int8', target: 'ort-node' });
    const run = await convertBundle(await freshBundle('against-run'), { to: 'int8', target: 'ort-node', validate: { against: 'run' } });
    expect(run.passed).toBe(true);
    for (const [index, graph] of run.graphs.entries()) {
      expect(graph.validation!.reference).toBe('fp32-run');
      const backend = graph.validation!.backends[0]!;
      expect(backend.latencyMs?.reference).toBeGreaterThan(0);
      const storedOutputs = stored.graphs[index]!.validation!.backends[0]!.outputs;
      expect(backend.outputs.map((o) => o.name).sort()).toEqual(storedOutputs.map((o) => o.name).sort());
      for (const output of backend.outputs) {
        // onnxruntime's fp32 and PyTorch's fp32 differ by rounding only, so both references agree closely.
        expect(output.cosine, output.name).toBeCloseTo(storedOutputs.find((o) => o.name === output.name)!.cosine, 4);
      }
    }
  });


  it('adds a validated int8 variant with provenance that loads and runs through the registry', async () => {
    const dir = await freshBundle('int8');
    const events: ConversionProgress[] = [];
    const report = await convertBundle(dir, { to: 'int8', target: 'ort-node', onProgress: (e) => events.push(e) });
    expect(report.passed).toBe(true);
    expect(report.graphs.map((g) => g.graph)).toEqual(['clip_image_encoder', 'text_encoder']);
    for (const graph of report.graphs) {
      const outputs = graph.validation!.backends[0]!.outputs;
      for (const output of outputs) expect(output.cosine, `${graph.graph}/${output.name}`).toBeGreaterThan(0.99);
      expect(graph.validation!.backends[0]!.latencyMs?.variant).toBeGreaterThan(0);
    }
    // By default the variant is compared with the exporter's stored fp32 outputs (no fp32 run).
    expect(report.graphs.map((g) => g.validation!.reference)).toEqual(['stored-outputs', 'stored-outputs']);
    expect(report.graphs[0]!.validation!.backends[0]!.latencyMs?.reference).toBeUndefined();
    const embeds = report.graphs[0]!.validation!.backends[0]!.outputs.find((o) => o.name === 'dense_embeds')!;
    expect(embeds.labelSource).toBe('text-embeddings');
    expect(report.totals.ratio).toBeLessThan(0.6);
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['convert', 'pass', 'write', 'validate', 'commit', 'done']));

    const bundle = await openBundle(dir);
    const variant = bundle.variant('clip_image_encoder', 'int8');
    expect(variant).toMatchObject({ file: 'graphs/clip_image_encoder.int8.onnx', dtype: 'int8', target: 'ort-node' });
    expect(variant.provenance).toMatchObject({ converter: CONVERTER_ID, from: 'fp32', sourceSha256: bundle.variant('clip_image_encoder', 'fp32').sha256 });
    const model = await bundle.readModel('text_encoder', 'int8');
    expect(model.graph.nodes.some((n) => n.opType === 'Gather' && n.inputs[0]!.endsWith('_int8'))).toBe(true);
    const { backend } = await resolveBackend('ort-node');
    const session = await backend.createSession(await bundle.readGraph('clip_image_encoder', 'int8'));
    const [input] = await bundle.references().inputs('clip_image_encoder');
    const out = await session.run({ pixel_values: input!.tensor });
    expect(out['image_embeds']!.dims).toEqual([1, 24]);
    await session.dispose();
    expect((await readdir(dir)).filter((f) => f.startsWith('.samclip-convert'))).toEqual([]);
  });

  it('is idempotent: converting again rewrites identical files and manifest', async () => {
    const dir = await freshBundle('idempotent');
    await convertBundle(dir, { to: 'int4', target: 'ort-node', validate: false });
    const manifest = await readFile(join(dir, 'samclip.json'));
    const graph = await readFile(join(dir, 'graphs/clip_image_encoder.int4.onnx'));
    await convertBundle(dir, { to: 'int4', target: 'ort-node', validate: false });
    expect(Buffer.compare(await readFile(join(dir, 'samclip.json')), manifest)).toBe(0);
    expect(Buffer.compare(await readFile(join(dir, 'graphs/clip_image_encoder.int4.onnx')), graph)).toBe(0);
  });

  it('fails with CONVERSION past a threshold and writes nothing', async () => {
    const dir = await freshBundle('fails');
    const before = await readFile(join(dir, 'samclip.json'));
    const error = await convertBundle(dir, { to: 'int4', target: 'ort-node', thresholds: { cosine: 0.999999 } }).catch((e: unknown) => e);
    expect(isSamClipError(error, 'CONVERSION')).toBe(true);
    expect((error as Error).message).toMatch(/cosine/);
    expect(Buffer.compare(await readFile(join(dir, 'samclip.json')), before)).toBe(0);
    expect((await readdir(join(dir, 'graphs'))).sort()).toEqual(['clip_image_encoder.fp32.onnx', 'text_encoder.fp32.onnx']);
    expect((await readdir(dir)).filter((f) => f.startsWith('.samclip-convert'))).toEqual([]);
  });

  it('writes to --out as a complete bundle and leaves the source untouched', async () => {
    const dir = await freshBundle('source');
    const out = join(root, 'out-fp16');
    const before = await readFile(join(dir, 'samclip.json'));
    const report = await convertBundle(dir, { to: 'fp16', target: 'ort-node', out });
    expect(report.variant).toBe('fp16');
    for (const graph of report.graphs) for (const o of graph.validation!.backends[0]!.outputs) expect(o.cosine).toBeGreaterThan(0.999);
    expect(Buffer.compare(await readFile(join(dir, 'samclip.json')), before)).toBe(0);
    const bundle = await openBundle(out);
    await bundle.verifyAll();
    expect(bundle.variants('text_encoder')).toEqual(['fp32', 'fp16']);
  });

  it('moves weights to an external .data file past the size threshold, and the variant still validates', async () => {
    const dir = await freshBundle('external');
    const report = await convertBundle(dir, { to: 'fp16', target: 'ort-node', externalDataThreshold: 1000 });
    const image = report.graphs.find((g) => g.graph === 'clip_image_encoder')!;
    expect(image.externalData.map((e) => e.file)).toEqual(['graphs/clip_image_encoder.fp16.onnx.data']);
    expect(image.validation!.backends[0]!.outputs.every((o) => o.cosine > 0.999)).toBe(true);
    const bundle = await openBundle(dir);
    await bundle.verifyAll();
    const { backend } = await resolveBackend('ort-node');
    const session = await backend.createSession(await bundle.readGraph('clip_image_encoder', 'fp16'), { externalData: await bundle.readExternalData('clip_image_encoder', 'fp16') });
    const [input] = await bundle.references().inputs('clip_image_encoder');
    expect((await session.run({ pixel_values: input!.tensor }))['dense_embeds']!.dims).toEqual([1, 2, 2, 24]);
    await session.dispose();
  });

  it('tfjs target: int8 QDQ, fp16 storage and int4 unpack variants validate on tfjs-cpu', async () => {
    const dir = await freshBundle('tfjs');
    for (const to of ['int8', 'fp16', 'int4'] as const) {
      const report = await convertBundle(dir, { to, target: 'tfjs' });
      expect(report.variant).toBe(`${to}-tfjs`);
      expect(report.graphs.every((g) => g.validation?.backends[0]?.backend === 'tfjs-cpu')).toBe(true);
    }
  });
});
