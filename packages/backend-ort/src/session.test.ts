import { describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import { createTensor } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { OrtBackend } from './backend.js';
import type { OrtApi, OrtSession, OrtTensor } from './ort-api.js';
import { fromOrtTensor } from './tensor.js';
import { addModel } from './tiny-models.js';

/** onnxruntime-node, with every run's feeds and results recorded. */
function recordingOrt(): { api: OrtApi; feeds: Array<Record<string, OrtTensor>>; results: Array<Record<string, OrtTensor>> } {
  const real = ortNode as unknown as OrtApi;
  const feeds: Array<Record<string, OrtTensor>> = [];
  const results: Array<Record<string, OrtTensor>> = [];
  const api: OrtApi = {
    Tensor: real.Tensor,
    InferenceSession: {
      async create(model, options) {
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
  return { api, feeds, results };
}

describe('OrtInferenceSession passes tensors without copies', () => {
  it('hands the caller’s typed arrays to ort and ort’s output arrays back', async () => {
    const { api, feeds, results } = recordingOrt();
    const backend = new OrtBackend({
      name: 'recording-ort',
      load: async () => api,
      unsupportedReason: async () => undefined,
      executionProviders: async () => ['cpu'],
      deviceOutputs: false,
      sessionThreads: true,
      defaults: { enableCpuMemArena: false, graphOptimizationLevel: 'all' },
      download: async (_ort, tensor) => fromOrtTensor(tensor),
    });
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
