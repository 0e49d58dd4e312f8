/**
 * segmentEverything's cancellation on the tiny-random fixture with an encoder slowed down to stand
 * in for a ViT-B encode: aborting while the image is encoded rejects at once (the engine run goes
 * on in the background, and a new call on the same pixels waits for it rather than starting
 * another), and aborting between decoder runs stops the grid.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackendRegistry, backendRegistry } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { decodeModel } from '../graph/codec.js';
import { isSamClipError, type SamClipError } from '../errors.js';
import { loadSamClip } from './node.js';
import type { SamClip } from './samclip.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const FIXTURE = path.join(repoRoot, 'fixtures/tiny-random');
const present = existsSync(path.join(FIXTURE, 'samclip.json'));
if (!present && process.env.CI) throw new Error(`fixture missing: ${FIXTURE}; generate it with the exporter in tools/ before running CI.`);
const ORT_NODE_ENTRY = '../../../backend-ort/src/node.js';
const ENCODER_DELAY_MS = 1500;

describe.runIf(present)('segmentEverything cancellation', () => {
  let model: SamClip;
  const image = { width: 180, height: 120, data: new Uint8Array(180 * 120 * 3).map((_, i) => (i * 29) % 253) };

  beforeAll(async () => {
    const { registerOrtNodeBackends } = (await import(/* @vite-ignore */ ORT_NODE_ENTRY)) as { registerOrtNodeBackends(options: Record<string, false>): string[] };
    registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
    const ort = (await backendRegistry.resolve('ort-node')).backend;
    // The backbone's runs take ENCODER_DELAY_MS longer, as one long native run would.
    const slowEncoder: Backend = {
      init: () => ort.init(),
      isSupported: () => ort.isSupported(),
      createSession: async (bytes, options) => {
        const session = await ort.createSession(bytes, options);
        if (!decodeModel(bytes).graph.outputs.some((o) => o.name === 'backbone_features')) return session;
        const run = session.run.bind(session);
        session.run = async (feeds, outputs) => {
          await new Promise((resolve) => setTimeout(resolve, ENCODER_DELAY_MS));
          return run(feeds, outputs);
        };
        return session;
      },
    };
    const registry = new BackendRegistry();
    registry.register('slow-encoder', slowEncoder);
    model = await loadSamClip(FIXTURE, { backend: 'slow-encoder', registry });
    return () => model.dispose();
  });

  it('rejects at once when aborted while the image is encoded; the next call shares the encoder run still in flight', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const error = await model.segmentEverything(image, { pointsPerSide: 4, signal: controller.signal, onProgress: (done) => progress.push(done) }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(isSamClipError(error, 'CANCELLED')).toBe(true);
    expect((error as SamClipError).details).toMatchObject({ stage: 'encoding the image', done: 0, total: 16 });
    expect(elapsed).toBeLessThan(ENCODER_DELAY_MS);
    expect(progress).toEqual([]);
    // The abandoned encoder run goes on in the background: asking again at once shares it, and
    // once it is done the result is cached.
    expect(model.runCounts().backbone ?? 0).toBe(0);
    const masks = await model.segmentEverything(image, { pointsPerSide: 2, predIouThreshold: -100, stabilityScoreThreshold: 0 });
    expect(masks.length).toBeGreaterThan(0);
    expect(model.runCounts().backbone).toBe(1);
    await model.segmentEverything(image, { pointsPerSide: 2 });
    expect(model.runCounts().backbone).toBe(1);
  });

  it('stops between decoder runs once aborted, reporting how far it got', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const error = await model
      .segmentEverything(image, {
        pointsPerSide: 4,
        signal: controller.signal,
        onProgress: (done) => {
          progress.push(done);
          if (done === 3) controller.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(isSamClipError(error, 'CANCELLED')).toBe(true);
    expect((error as SamClipError).details).toMatchObject({ stage: 'decoding the point grid', done: 3, total: 16 });
    expect(progress).toEqual([0, 1, 2, 3]);
  });
});
