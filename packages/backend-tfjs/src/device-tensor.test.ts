/**
 * The SAM embedding stays on the engine between prompts: an encoder session keeps its output as a
 * tfjs tensor (keepOnDevice), and a decoder session reads that tensor as it is, run after run,
 * without a download or a new upload.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isSamClipError } from '@samclip/core';
import type { DeviceTensor, Tensor } from '@samclip/core';
import { describe, expect, it } from 'vitest';
import { TfjsBackend } from './backend.js';
import { nodeWasmPaths } from './node.js';
import { TfjsDeviceTensor } from './session.js';
import { init, int, io, modelBytes, node, randomTensor } from './test-utils/model.js';

/** "Encoder": embedding = x·w, [1, 8] → [1, 16]. */
function encoder(): Uint8Array {
  return modelBytes({
    inputs: [io('x', 'float32', [1, 8])],
    outputs: [io('embedding', 'float32', [1, 16])],
    initializers: [init('w', randomTensor([8, 16], 3))],
    nodes: [node('MatMul', ['x', 'w'], ['embedding'])],
  });
}

/** "Decoder": mask = softmax(embedding + prompt), the prompt changing per run. */
function decoder(): Uint8Array {
  return modelBytes({
    inputs: [io('embedding', 'float32', [1, 16]), io('prompt', 'float32', [1, 16])],
    outputs: [io('mask', 'float32', [1, 16])],
    nodes: [node('Add', ['embedding', 'prompt'], ['sum']), node('Softmax', ['sum'], ['mask'], { axis: int(-1) })],
  });
}

function softmaxOfSum(a: Float32Array, b: Float32Array): number[] {
  const sum = Array.from(a, (v, i) => v + b[i]!);
  const max = Math.max(...sum);
  const exps = sum.map((v) => Math.exp(v - max));
  const total = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / total);
}

describe.each(['cpu', 'wasm'] as const)('device tensors on tfjs-%s', (engine) => {
  const backend = new TfjsBackend(engine, { wasmPaths: nodeWasmPaths() });

  it('keeps the embedding as a tfjs tensor that several decoder runs read without copies', async () => {
    const encode = await backend.createSession(encoder(), { keepOnDevice: ['embedding'] });
    const decode = await backend.createSession(decoder());
    const x = randomTensor([1, 8], 5);
    const embedding = (await encode.run({ x })).embedding as DeviceTensor;
    expect(embedding).toBeInstanceOf(TfjsDeviceTensor);
    expect(embedding.location).toBe('device');
    expect(embedding.dims).toEqual([1, 16]);
    const onCpu = await embedding.download();

    const before = tf.memory().numTensors;
    for (const seed of [11, 12, 13]) {
      const prompt = randomTensor([1, 16], seed);
      const mask = (await decode.run({ embedding, prompt })).mask as Tensor;
      expect(mask.dtype).toBe('float32');
      const expected = softmaxOfSum(onCpu.data as Float32Array, prompt.data as Float32Array);
      Array.from(mask.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    }
    // Every prompt's intermediates were released, and the embedding was neither consumed nor duplicated.
    expect(tf.memory().numTensors).toBe(before);
    expect((embedding as TfjsDeviceTensor).tensor.isDisposed).toBe(false);

    embedding.dispose();
    const error = await embedding.download().catch((e: unknown) => e);
    expect(isSamClipError(error, 'DISPOSED')).toBe(true);
    await encode.dispose();
    await decode.dispose();
  });
});
