/**
 * GraphRunner.staged on the tiny-random fixture's prompt decoder: the staged sessions are created
 * once per plan, run as prefix then suffix, count their runs apart, and are disposed with the
 * runner; a plan that leaves nothing image-only gives undefined and creates no session. The suffix
 * keeps its buffers between runs, and `withBuffersReleased` swaps it for a fresh session around
 * large runs without failing a run in flight.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, InferenceSession, SessionOptions } from '../backend/types.js';
import { backendRegistry } from '../backend/registry.js';
import { openBundle } from '../bundle/node.js';
import type { Bundle } from '../bundle/bundle.js';
import { createTensor } from '../graph/tensor.js';
import type { Tensor } from '../graph/types.js';
import { GraphRunner, type StagePlan } from './runner.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const FIXTURE = path.join(repoRoot, 'fixtures/tiny-random');
const present = existsSync(path.join(FIXTURE, 'references/prompt_decoder/input_0.pb'));
if (!present && process.env.CI) throw new Error(`fixture missing: ${FIXTURE}; generate it with the exporter in tools/ before running CI.`);
const ORT_NODE_ENTRY = '../../../backend-ort/src/node.js';

describe.runIf(present)('GraphRunner.staged (tiny-random prompt decoder, ort-node)', () => {
  let bundle: Bundle;
  let engine: Backend;
  let feeds: Record<string, Tensor>;
  let plan: StagePlan;

  beforeAll(async () => {
    const { registerOrtNodeBackends } = (await import(/* @vite-ignore */ ORT_NODE_ENTRY)) as { registerOrtNodeBackends(options: Record<string, false>): string[] };
    registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
    engine = (await backendRegistry.resolve('ort-node')).backend;
    bundle = await openBundle(FIXTURE);
    feeds = {};
    for (const { name, tensor } of await bundle.references().inputs('prompt_decoder')) feeds[name] = tensor;
    const maskSize = feeds.mask_input!.dims[2]!;
    plan = {
      key: 'no-mask',
      bound: { has_mask_input: createTensor('float32', [1], [0]), mask_input: createTensor('float32', [1, 1, maskSize, maskSize], new Float32Array(maskSize * maskSize)) },
      perCall: ['point_coords', 'point_labels', 'orig_im_size'],
    };
  });

  /**
   * The ort-node backend, counting the sessions it creates and disposes and recording the options
   * each was created with; `pooled: false` hides the sessions' `holdsBuffers`, as an engine without
   * a buffer pool would.
   */
  function counting({ pooled = true } = {}): { backend: Backend; created: () => number; disposed: () => number; options: Array<SessionOptions | undefined> } {
    let created = 0;
    let disposed = 0;
    const options: Array<SessionOptions | undefined> = [];
    const backend: Backend = {
      init: () => engine.init(),
      isSupported: () => engine.isSupported(),
      createSession: async (bytes, sessionOptions): Promise<InferenceSession> => {
        const session = await engine.createSession(bytes, sessionOptions);
        created++;
        options.push(sessionOptions);
        return {
          inputs: session.inputs,
          outputs: session.outputs,
          ...(pooled ? { holdsBuffers: session.holdsBuffers } : {}),
          run: (f, names) => session.run(f, names),
          dispose: async () => {
            disposed++;
            await session.dispose();
          },
        };
      },
    };
    return { backend, created: () => created, disposed: () => disposed, options };
  }

  it('creates the two stages once per plan, runs them to the whole graph\'s result and disposes them with the runner', async () => {
    const { backend, created, disposed } = counting();
    const runner = new GraphRunner(bundle, backend, 'counting', { fetchedOutputs: { prompt_decoder: ['iou_predictions', 'low_res_masks'] } });
    const staged = (await runner.staged('prompt_decoder', plan))!;
    expect(staged).toBeDefined();
    expect(await runner.staged('prompt_decoder', plan)).toBe(staged);
    expect(created()).toBe(2);
    expect(staged.prefixInputs).toEqual(['image_embeddings']);
    expect([...staged.suffixInputs].sort()).toEqual(['orig_im_size', 'point_coords', 'point_labels']);

    // Extra feeds are ignored by each stage, so callers can pass one set.
    const prefix = await staged.runPrefix(feeds);
    const out = await staged.runSuffix(prefix, feeds, ['iou_predictions', 'low_res_masks']);
    const whole = await runner.run('prompt_decoder', { ...feeds, has_mask_input: createTensor('float32', [1], [0]) }, ['iou_predictions', 'low_res_masks']);
    for (const name of ['iou_predictions', 'low_res_masks']) {
      const a = (out[name] as Tensor<'float32'>).data;
      const b = (whole[name] as Tensor<'float32'>).data;
      expect(a.length).toBe(b.length);
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
      expect(max, name).toBeLessThanOrEqual(1e-5);
    }
    expect(runner.runCounts()).toEqual({ 'prompt_decoder:prefix': 1, prompt_decoder: 2 });

    await runner.dispose();
    expect(disposed()).toBe(created());
  });

  it('creates only the suffix with reuseBuffers; withBuffersReleased disposes a suffix that ran before the work and puts a fresh one in its place', async () => {
    const { backend, created, disposed, options } = counting();
    const runner = new GraphRunner(bundle, backend, 'counting', { fetchedOutputs: { prompt_decoder: ['iou_predictions', 'low_res_masks'] } });
    const staged = (await runner.staged('prompt_decoder', plan))!;
    expect(options.map((o) => o?.reuseBuffers)).toEqual([undefined, true]);
    const prefix = await staged.runPrefix(feeds);

    // A suffix that has not run holds no buffers: nothing to release.
    expect(await runner.withBuffersReleased(async () => disposed())).toBe(0);
    const first = await staged.runSuffix(prefix, feeds, ['low_res_masks']);

    const disposedDuringWork = await runner.withBuffersReleased(async () => disposed());
    expect(disposedDuringWork).toBe(1);
    const again = await staged.runSuffix(prefix, feeds, ['low_res_masks']);
    expect(created()).toBe(3);
    expect(options[2]?.reuseBuffers).toBe(true);
    expect((again.low_res_masks as Tensor<'float32'>).data).toEqual((first.low_res_masks as Tensor<'float32'>).data);
    expect(runner.runCounts()).toEqual({ 'prompt_decoder:prefix': 1, prompt_decoder: 2 });

    await runner.dispose();
    expect(disposed()).toBe(created());
  });

  it('lets a suffix run in flight finish on its session before that session is released', async () => {
    const { backend, created, disposed } = counting();
    const runner = new GraphRunner(bundle, backend, 'counting', { fetchedOutputs: { prompt_decoder: ['iou_predictions', 'low_res_masks'] } });
    const staged = (await runner.staged('prompt_decoder', plan))!;
    const prefix = await staged.runPrefix(feeds);
    const reference = await staged.runSuffix(prefix, feeds, ['low_res_masks']);

    const inFlight = staged.runSuffix(prefix, feeds, ['low_res_masks']);
    let settledBeforeWork = false;
    inFlight.then(() => (settledBeforeWork = true), () => undefined);
    await runner.withBuffersReleased(async () => {
      expect(settledBeforeWork).toBe(true);
      expect(disposed()).toBe(1);
    });
    expect((await inFlight).low_res_masks).toEqual(reference.low_res_masks);
    await staged.runSuffix(prefix, feeds, ['low_res_masks']);
    expect(created()).toBe(3);
    await runner.dispose();
    expect(disposed()).toBe(created());
  });

  it('keeps a suffix whose engine pools no buffers', async () => {
    const { backend, created, disposed } = counting({ pooled: false });
    const runner = new GraphRunner(bundle, backend, 'counting', { fetchedOutputs: { prompt_decoder: ['iou_predictions', 'low_res_masks'] } });
    const staged = (await runner.staged('prompt_decoder', plan))!;
    await staged.runSuffix(await staged.runPrefix(feeds), feeds, ['low_res_masks']);
    await runner.withBuffersReleased(async () => undefined);
    expect([created(), disposed()]).toEqual([2, 0]);
    await runner.dispose();
  });

  it('gives undefined, and creates no session, when every input changes per call', async () => {
    const { backend, created } = counting();
    const runner = new GraphRunner(bundle, backend, 'counting');
    expect(await runner.staged('prompt_decoder', { ...plan, key: 'all-per-call', perCall: [...plan.perCall, 'image_embeddings'] })).toBeUndefined();
    expect(created()).toBe(0);
    await runner.dispose();
  });
});
