import { describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import { createTensor } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { OrtBackend } from './backend.js';
import type { OrtApi, OrtSession, OrtTensor } from './ort-api.js';
import { fromOrtTensor } from './tensor.js';
import { addModel } from './tiny-models.js';

/** onnxruntime-node, with every run's feeds and results recorded. */
function recordingOrt(): { api: OrtApi; feeds: Array<Record<string, OrtTensor>>; results: Array<Record<string, OrtTensor>>; created: unknown[] } {
  const real = ortNode as unknown as OrtApi;
  const feeds: Array<Record<string, OrtTensor>> = [];
  const results: Array<Record<string, OrtTensor>> = [];
  const created: unknown[] = [];
  const api: OrtApi = {
    Tensor: real.Tensor,
    InferenceSession: {
      async create(model, options) {
        created.push(options);
        const session = await real.InferenceSession.create(model, options);
        const run = session.run.bind(session) as (f: Record<string, OrtTensor>, names?: readonly string[]) => Promise<Record<string, OrtTensor>>;
        // OrtInferenceSession reads only these four members.
        const recording = {
          inputMetadata: session.inputMetadata,
          outputMetadata: session.outputMetadata,
          release: () => session.release(),
          run: async (f: Record<string, OrtTensor>, names?: readonly string[]) => {
            feeds.push(f);
            const out = await run(f, names);
            results.push(out);
            return out;
          },
        };
        return recording as unknown as OrtSession;
      },
    },
  };
  return { api, feeds, results, created };
}

function recordingBackend(api: OrtApi, sessionThreads: boolean): OrtBackend {
  return new OrtBackend({
    name: 'recording-ort',
    load: async () => api,
    unsupportedReason: async () => undefined,
    executionProviders: async () => ['cpu'],
    deviceOutputs: false,
    sessionThreads,
    defaults: { enableCpuMemArena: false, graphOptimizationLevel: 'all' },
    download: async (_ort, tensor) => fromOrtTensor(tensor),
  });
}

describe('OrtInferenceSession passes tensors without copies', () => {
  it('hands the caller’s typed arrays to ort and ort’s output arrays back', async () => {
    const { api, feeds, results } = recordingOrt();
    const backend = recordingBackend(api, true);
    const session = await backend.createSession(addModel());
    const a = createTensor('float32', [4], [1, 2, 3, 4]);
    const b = createTensor('float32', [4], [10, 20, 30, 40]);
    const out = (await session.run({ a, b })).sum as Tensor;

    expect(feeds[0]?.a?.data).toBe(a.data);
    expect(feeds[0]?.b?.data).toBe(b.data);
    expect(out.data).toBe(results[0]?.sum?.data);
    expect(Array.from(out.data as Float32Array)).toEqual([11, 22, 33, 44]);
    await backend.dispose();
  });
});

describe('spinAfterRun', () => {
  const spinningStop = (options: unknown): unknown => (options as { extra?: { session?: { force_spinning_stop?: unknown } } }).extra?.session?.force_spinning_stop;

  it("stops onnxruntime's worker threads spinning after each run when false, and leaves its default otherwise", async () => {
    const { api, created } = recordingOrt();
    const backend = recordingBackend(api, true);
    const stopping = await backend.createSession(addModel(), { spinAfterRun: false, extra: { extra: { session: { intra_op: { allow_spinning: '1' } } } } });
    await backend.createSession(addModel());
    await backend.createSession(addModel(), { spinAfterRun: true });
    // An engine setting for the same thing wins.
    await backend.createSession(addModel(), { spinAfterRun: false, extra: { extra: { session: { force_spinning_stop: '0' } } } });
    expect(created.map(spinningStop)).toEqual(['1', undefined, undefined, '0']);
    // The caller's other session settings are kept beside it, and the session runs.
    expect((created[0] as { extra: { session: { intra_op: unknown } } }).extra.session.intra_op).toEqual({ allow_spinning: '1' });
    const out = (await stopping.run({ a: createTensor('float32', [4], [1, 2, 3, 4]), b: createTensor('float32', [4], [1, 1, 1, 1]) })).sum as Tensor;
    expect(Array.from(out.data as Float32Array)).toEqual([2, 3, 4, 5]);
    await backend.dispose();
  });

  it('is ignored by engines whose threads are not per session', async () => {
    const { api, created } = recordingOrt();
    const backend = recordingBackend(api, false);
    await backend.createSession(addModel(), { spinAfterRun: false });
    expect(spinningStop(created[0])).toBeUndefined();
    await backend.dispose();
  });
});

describe('planBuffers', () => {
  const memPattern = (options: unknown): unknown => (options as { enableMemPattern?: unknown }).enableMemPattern;

  it("turns onnxruntime's memory pattern off when false, and leaves its default otherwise", async () => {
    const { api, created } = recordingOrt();
    const backend = recordingBackend(api, true);
    const unplanned = await backend.createSession(addModel(), { planBuffers: false });
    await backend.createSession(addModel());
    await backend.createSession(addModel(), { planBuffers: true });
    // An engine setting for the same thing wins.
    await backend.createSession(addModel(), { planBuffers: false, extra: { enableMemPattern: true } });
    expect(created.map(memPattern)).toEqual([false, undefined, undefined, true]);
    const out = (await unplanned.run({ a: createTensor('float32', [4], [1, 2, 3, 4]), b: createTensor('float32', [4], [1, 1, 1, 1]) })).sum as Tensor;
    expect(Array.from(out.data as Float32Array)).toEqual([2, 3, 4, 5]);
    await backend.dispose();
  });
});
