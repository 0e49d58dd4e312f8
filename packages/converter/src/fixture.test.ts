/**
 * End-to-end acceptance on the exporter's tiny-random fixture bundle: each precision's variants,
 * chained backbone → neck → prompt decoder as the SDK runs them, against the fp32 chain.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBackend, tensorToFloat32 } from '@samclip/core';
import type { Bundle, Feeds, Tensor } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import { convertBundle } from './convert-bundle.js';
import { cosineSimilarity, maskIoU } from './metrics.js';
import { registerTestBackends } from './test-utils/backends.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const fixture = join(repoRoot, 'fixtures/tiny-random');
const present = existsSync(join(fixture, 'samclip.json'));
if (!present && process.env['CI']) {
  throw new Error(`The tiny-random fixture bundle is missing at ${fixture}; generate it with the exporter (npm run export) before running the converter tests.`);
}

async function run(bundle: Bundle, graph: string, variant: string, feeds: Feeds): Promise<Record<string, Tensor>> {
  const { backend } = await resolveBackend('ort-node');
  const session = await backend.createSession(await bundle.readGraph(graph, variant), { externalData: await bundle.readExternalData(graph, variant) });
  try {
    return (await session.run(feeds)) as Record<string, Tensor>;
  } finally {
    await session.dispose();
  }
}

/** image_embeddings and masks the SDK would compute with `variant` for every SAM graph. */
async function samChain(bundle: Bundle, variant: string): Promise<{ embeddings: Float32Array; masks: Float32Array }> {
  const refs = bundle.references();
  const roleGraph = (role: string) => Object.entries(bundle.manifest.graphs).find(([, e]) => e.role === role)?.[0];
  const backbone = roleGraph('backbone');
  let embeddings: Tensor;
  if (backbone) {
    const [pixels] = await refs.inputs(backbone);
    const features = await run(bundle, backbone, variant, { pixel_values: pixels!.tensor });
    embeddings = (await run(bundle, roleGraph('sam_neck')!, variant, { backbone_features: features['backbone_features']! }))['image_embeddings']!;
  } else {
    const encoder = roleGraph('sam_encoder')!;
    const [pixels] = await refs.inputs(encoder);
    embeddings = (await run(bundle, encoder, variant, { pixel_values: pixels!.tensor }))['image_embeddings']!;
  }
  const decoder = roleGraph('prompt_decoder')!;
  const feeds: Feeds = {};
  for (const { name, tensor } of await refs.inputs(decoder)) feeds[name] = tensor;
  feeds['image_embeddings'] = embeddings;
  const decoded = await run(bundle, decoder, variant, feeds);
  return { embeddings: tensorToFloat32(embeddings), masks: tensorToFloat32(decoded['masks']!) };
}

describe.skipIf(!present)('tiny-random fixture', () => {
  let root: string;
  beforeAll(async () => {
    await registerTestBackends();
    root = await mkdtemp(join(tmpdir(), 'samclip-fixture-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const bars = { int8: { cosine: 0.99, iou: 0.95 }, fp16: { cosine: 0.999, iou: 0.99 }, int4: { cosine: 0.95, iou: 0.9 } } as const;
  for (const to of ['int8', 'fp16', 'int4'] as const) {
    it(`${to} for ort-node: image-embedding cosine ≥ ${bars[to].cosine} and mask IoU ≥ ${bars[to].iou} through the whole SAM chain`, async () => {
      const out = join(root, `ort-${to}`);
      const report = await convertBundle(fixture, { to, target: 'ort-node', out });
      expect(report.passed).toBe(true);
      const bundle = await openBundle(out);
      const reference = await samChain(bundle, 'fp32');
      const converted = await samChain(bundle, to);
      expect(cosineSimilarity(reference.embeddings, converted.embeddings)).toBeGreaterThanOrEqual(bars[to].cosine);
      expect(maskIoU(reference.masks, converted.masks, 0)).toBeGreaterThanOrEqual(bars[to].iou);
    });
  }

  it('tfjs variants of every precision run on tfjs-cpu wherever the fp32 graph does', async () => {
    for (const to of ['int8', 'fp16', 'int4'] as const) {
      const report = await convertBundle(fixture, { to, target: 'tfjs', out: join(root, `tfjs-${to}`), thresholds: { cosine: bars[to].cosine, maskIoU: bars[to].iou } });
      for (const graph of report.graphs) {
        const validation = graph.validation!.backends[0]!;
        expect(validation.backend).toBe('tfjs-cpu');
        // A graph tfjs cannot run even in fp32 (an operator it lacks) is reported as skipped, never silently passed.
        if (validation.skipped) expect(validation.outputs).toEqual([]);
        else expect(validation.outputs.length, graph.graph).toBeGreaterThan(0);
      }
      expect(report.graphs.filter((g) => !g.validation!.backends[0]!.skipped).map((g) => g.graph)).toEqual(expect.arrayContaining(['backbone', 'sam_neck']));
    }
  });
});
