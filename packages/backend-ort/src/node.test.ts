import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendRegistry, createTensor, encodeModel, isSamClipError, resolveBackend } from '@samclip/core';
import type { Backend, DeviceTensor, InferenceSession, Model, Tensor } from '@samclip/core';
import { createOrtNodeBackend, createOrtWasmBackend, createOrtWebGpuBackend, ortWebWasmDir, registerOrtNodeBackends } from './node.js';
import { OrtBackend } from './backend.js';
import { addModel } from './tiny-models.js';
import { cpuTensor, expectTensorClose, haveOnnxTests, readCase } from './test-utils/data.js';

const shared = haveOnnxTests();

/** Cases covering the dtypes the SAM-CLIP graphs meet: float32, float16, int8, int64, bool; one and several outputs. */
const CASES = [
  'test_add',
  'test_add_int8',
  'test_and_bcast3v1d',
  'test_argmax_keepdims_random',
  'test_gather_0',
  'test_matmul_2d',
  'test_gemm_all_attributes',
  'test_conv_with_strides_no_padding',
  'test_softmax_axis_2',
  'test_layer_normalization_4d_axis2',
  'test_resize_upsample_scales_linear',
  'test_cast_DOUBLE_to_FLOAT',
  'test_qlinearmatmul_2D_int8_float16',
  'test_top_k',
  'test_split_equal_parts_2d',
  'test_erf',
];

async function runCase(backend: Backend, name: string): Promise<void> {
  const testCase = readCase(name);
  const session = await backend.createSession(testCase.model);
  try {
    const feeds = Object.fromEntries(session.inputs.map((input, i) => [input.name, testCase.inputs[i] as Tensor]));
    const fetches = await session.run(feeds);
    session.outputs.forEach((output, i) => {
      const actual = cpuTensor(fetches[output.name], `${name}/${output.name}`);
      expectTensorClose(actual, testCase.outputs[i] as Tensor, `${name}/${output.name}`);
    });
  } finally {
    await session.dispose();
  }
}

/** `c = a + w` where `w` lives in external data. */
function externalDataModel(): { model: Uint8Array; weights: Uint8Array } {
  const w = new Float32Array([10, 20, 30]);
  const model: Model = {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    metadataProps: [],
    graph: {
      name: 'external_add',
      nodes: [{ name: 'add', opType: 'Add', domain: '', inputs: ['a', 'w'], outputs: ['c'], attributes: [] }],
      initializers: [{ name: 'w', dtype: 'float32', dims: [3], external: { location: 'weights.bin', offset: 0, length: 12 } }],
      inputs: [{ name: 'a', type: { kind: 'tensor', elemType: 'float32', shape: [3] } }],
      outputs: [{ name: 'c', type: { kind: 'tensor', elemType: 'float32', shape: [3] } }],
      valueInfo: [],
    },
  };
  return { model: encodeModel(model), weights: new Uint8Array(w.buffer) };
}

describe.each([
  ['ort-node', () => createOrtNodeBackend()],
  ['ort-wasm', () => createOrtWasmBackend({ wasmPaths: ortWebWasmDir() })],
])('%s', (name, create) => {
  const backend = create();

  afterAll(async () => {
    await backend.dispose?.();
  });

  it('is supported and initialises', async () => {
    expect(await backend.isSupported()).toBe(true);
    await backend.init();
    expect(backend.supportedOps?.()).toBeUndefined();
  });

  describe.skipIf(!shared)('ONNX conformance cases', () => {
    it.each(CASES)('%s matches the expected outputs', async (caseName) => {
      await runCase(backend, caseName);
    });
  });

  it('reports graph input and output metadata', async () => {
    const { model } = externalDataModel();
    const { weights } = externalDataModel();
    const session = await backend.createSession(model, { externalData: new Map([['weights.bin', weights]]) });
    expect(session.inputs).toEqual([{ name: 'a', dtype: 'float32', dims: [3] }]);
    expect(session.outputs).toEqual([{ name: 'c', dtype: 'float32', dims: [3] }]);
    await session.dispose();
  });

  it('reports symbolic dims by name', async () => {
    const session = await backend.createSession(addModel());
    expect(session.inputs.map((input) => input.dims)).toEqual([['N'], ['N']]);
    const out = await session.run({ a: createTensor('float32', [2], [1, 2]), b: createTensor('float32', [2], [3, 4]) });
    expect(Array.from(cpuTensor(out.sum, 'sum').data as Float32Array)).toEqual([4, 6]);
    await session.dispose();
  });

  it('keeps buffers between runs only when reuseBuffers asks for it, and says so in holdsBuffers', async () => {
    const pooled = await backend.createSession(addModel(), { reuseBuffers: true });
    const plain = await backend.createSession(addModel());
    // Engine-specific settings win over reuseBuffers.
    const overridden = await backend.createSession(addModel(), { reuseBuffers: true, extra: { enableCpuMemArena: false } });
    expect([pooled.holdsBuffers, plain.holdsBuffers, overridden.holdsBuffers]).toEqual([true, false, false]);
    const feeds = { a: createTensor('float32', [2], [1, 2]), b: createTensor('float32', [2], [3, 4]) };
    for (let run = 0; run < 2; run++) expect(Array.from(cpuTensor((await pooled.run(feeds)).sum, 'sum').data as Float32Array)).toEqual([4, 6]);
    await Promise.all([pooled.dispose(), plain.dispose(), overridden.dispose()]);
  });

  it('loads external data from the options map', async () => {
    const { model, weights } = externalDataModel();
    const session = await backend.createSession(model, { externalData: new Map([['weights.bin', weights]]), threads: 1 });
    const out = await session.run({ a: createTensor('float32', [3], [1, 2, 3]) });
    expect(Array.from((out.c as Tensor).data as Float32Array)).toEqual([11, 22, 33]);
    await session.dispose();
  });

  it(name === 'ort-node' ? 'opens a session from a file, with its external data beside it' : 'has no file sessions (the engine cannot read files)', async () => {
    if (name !== 'ort-node') {
      expect(backend.createSessionFromFile).toBeUndefined();
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'samclip-ort-file-'));
    try {
      const { model, weights } = externalDataModel();
      await writeFile(join(dir, 'model.onnx'), model);
      await writeFile(join(dir, 'weights.bin'), weights);
      const session = await backend.createSessionFromFile!(join(dir, 'model.onnx'), { threads: 1 });
      const out = await session.run({ a: createTensor('float32', [3], [1, 2, 3]) });
      expect(Array.from((out.c as Tensor).data as Float32Array)).toEqual([11, 22, 33]);
      await session.dispose();
      const missing = await backend.createSessionFromFile!(join(dir, 'absent.onnx')).catch((e: unknown) => e);
      expect(isSamClipError(missing, 'SESSION')).toBe(true);
      expect((missing as Error).message).toContain('absent.onnx');
      const both = await backend.createSessionFromFile!(join(dir, 'model.onnx'), { externalData: new Map([['weights.bin', weights]]) }).catch((e: unknown) => e);
      expect(isSamClipError(both, 'INVALID_ARGUMENT')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with SESSION naming the backend when external data is missing', async () => {
    const { model } = externalDataModel();
    const error = await backend.createSession(model).catch((e: unknown) => e);
    expect(isSamClipError(error, 'SESSION')).toBe(true);
    expect((error as Error).message).toContain(name);
  });

  describe.skipIf(!shared)('feeds checked against the graph', () => {
    let session: InferenceSession;
    const ones = (dims: number[]): Tensor => createTensor('float32', dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(1));

    beforeAll(async () => {
      session = await backend.createSession(readCase('test_add').model);
    });
    afterAll(async () => {
      await session.dispose();
    });

    it('rejects an unknown input name, listing the expected inputs', async () => {
      const error = await session.run({ x: ones([3, 4, 5]), z: ones([3, 4, 5]) }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain("no input 'z'");
      expect((error as Error).message).toContain('x: float32[3,4,5], y: float32[3,4,5]');
    });

    it('rejects a missing input', async () => {
      const error = await session.run({ x: ones([3, 4, 5]) }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain("missing graph input 'y'");
    });

    it('rejects a wrong dtype', async () => {
      const int32 = createTensor('int32', [3, 4, 5], new Int32Array(60));
      const error = await session.run({ x: ones([3, 4, 5]), y: int32 }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain("input 'y' must be float32, got int32");
    });

    it('rejects a wrong shape with SHAPE', async () => {
      const error = await session.run({ x: ones([3, 4, 5]), y: ones([3, 5, 4]) }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'SHAPE')).toBe(true);
      expect((error as SamClipErrorLike).details.tensor).toBe('y');
    });

    it('rejects data whose length contradicts its dims', async () => {
      const short: Tensor = { dtype: 'float32', dims: [3, 4, 5], data: new Float32Array(59) };
      const error = await session.run({ x: ones([3, 4, 5]), y: short }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'SHAPE')).toBe(true);
      expect((error as Error).message).toContain('59 values');
    });

    it('rejects an unknown output name, listing the outputs', async () => {
      const error = await session.run({ x: ones([3, 4, 5]), y: ones([3, 4, 5]) }, ['total']).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain('sum: float32[3,4,5]');
    });

    it('rejects bfloat16, which ort cannot hold', async () => {
      const bf16: Tensor = { dtype: 'bfloat16', dims: [3, 4, 5], data: new Uint16Array(60) };
      const error = await session.run({ x: ones([3, 4, 5]), y: bf16 }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
    });

    it('rejects keepOnDevice names the graph does not output', async () => {
      const error = await backend.createSession(readCase('test_add').model, { keepOnDevice: ['nope'] }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain("'nope'");
    });

    it('returns CPU tensors for keepOnDevice outputs (no device here) and fetches only the named outputs', async () => {
      const kept = await backend.createSession(readCase('test_top_k').model, { keepOnDevice: ['values'] });
      const testCase = readCase('test_top_k');
      const feeds = Object.fromEntries(kept.inputs.map((input, i) => [input.name, testCase.inputs[i] as Tensor]));
      const out = await kept.run(feeds, ['indices']);
      expect(Object.keys(out)).toEqual(['indices']);
      expect(cpuTensor(out.indices, 'indices').dtype).toBe('int64');
      await kept.dispose();
    });

    it('feeds a device tensor of another engine through its download()', async () => {
      let downloads = 0;
      const foreign: DeviceTensor = {
        dtype: 'float32',
        dims: [3, 4, 5],
        location: 'device',
        download: async () => {
          downloads++;
          return ones([3, 4, 5]);
        },
        dispose: () => undefined,
      };
      const out = await session.run({ x: foreign, y: ones([3, 4, 5]) });
      expect(downloads).toBe(1);
      expect((cpuTensor(out.sum, 'sum').data as Float32Array)[59]).toBe(2);
    });

    it('rejects a run after dispose with DISPOSED', async () => {
      const disposable = await backend.createSession(readCase('test_add').model);
      await disposable.dispose();
      const error = await disposable.run({ x: ones([3, 4, 5]), y: ones([3, 4, 5]) }).catch((e: unknown) => e);
      expect(isSamClipError(error, 'DISPOSED')).toBe(true);
    });

    it('queues concurrent runs on one session', async () => {
      const a = ones([3, 4, 5]);
      const results = await Promise.all([1, 2, 3].map(() => session.run({ x: a, y: a })));
      for (const result of results) expect(((result.sum as Tensor).data as Float32Array)[0]).toBe(2);
    });
  });

  it('rejects bytes that are not a model with SESSION', async () => {
    const error = await backend.createSession(new Uint8Array([1, 2, 3, 4])).catch((e: unknown) => e);
    expect(isSamClipError(error, 'SESSION')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^${name}: onnxruntime could not create a session`));
  });

  it('rejects a negative thread count', async () => {
    const { model, weights } = externalDataModel();
    const error = await backend.createSession(model, { threads: -1, externalData: new Map([['weights.bin', weights]]) }).catch((e: unknown) => e);
    expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

interface SamClipErrorLike {
  details: Record<string, unknown>;
}

describe('ort-node: no copies', () => {
  it('feeds a float16 input and returns float16 as Uint16Array', async () => {
    const backend = createOrtNodeBackend();
    const model: Model = {
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      metadataProps: [],
      graph: {
        name: 'half_identity',
        nodes: [{ name: 'id', opType: 'Identity', domain: '', inputs: ['h'], outputs: ['o'], attributes: [] }],
        initializers: [],
        inputs: [{ name: 'h', type: { kind: 'tensor', elemType: 'float16', shape: [2] } }],
        outputs: [{ name: 'o', type: { kind: 'tensor', elemType: 'float16', shape: [2] } }],
        valueInfo: [],
      },
    };
    const session = await backend.createSession(encodeModel(model));
    const half = createTensor('float16', [2], new Uint16Array([0x3c00, 0xc000]));
    const out = (await session.run({ h: half })).o as Tensor;
    expect(out.dtype).toBe('float16');
    expect(out.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(out.data as Uint16Array)).toEqual([0x3c00, 0xc000]);
    await backend.dispose();
  });
});

describe('ort-node execution providers', () => {
  it('uses the CPU EP here (no CUDA libraries installed) unless CUDA is required', async () => {
    expect(await createOrtNodeBackend().executionProviders()).toEqual(['cpu']);
    expect(await createOrtNodeBackend({ cuda: false }).executionProviders()).toEqual(['cpu']);
  });

  it('fails to initialise with BACKEND_INIT when CUDA is required but cannot start', async () => {
    const error = await createOrtNodeBackend({ cuda: true }).init().catch((e: unknown) => e);
    expect(isSamClipError(error, 'BACKEND_INIT')).toBe(true);
    expect((error as Error).message).toMatch(/^ort-node: choosing execution providers failed: CUDA was required/);
  });

  it('wraps a failure inside onnxruntime as SESSION naming the backend', async () => {
    const backend = createOrtNodeBackend();
    const session = await backend.createSession(addModel());
    const error = await session.run({ a: createTensor('float32', [3], [1, 2, 3]), b: createTensor('float32', [4], [1, 2, 3, 4]) }).catch((e: unknown) => e);
    expect(isSamClipError(error, 'SESSION')).toBe(true);
    expect((error as Error).message).toMatch(/^ort-node: running the graph failed/);
    await backend.dispose();
  });
});

describe('registration', () => {
  beforeAll(() => {
    for (const name of ['ort-node', 'ort-node-webgpu', 'ort-wasm']) backendRegistry.unregister(name);
  });

  it('registers ort-node, ort-node-webgpu and ort-wasm; auto on Node picks ort-node', async () => {
    expect(registerOrtNodeBackends()).toEqual(['ort-node', 'ort-node-webgpu', 'ort-wasm']);
    const names = backendRegistry.list().map((info) => info.name);
    expect(names.indexOf('ort-node')).toBeLessThan(names.indexOf('ort-node-webgpu'));
    expect(names.indexOf('ort-node-webgpu')).toBeLessThan(names.indexOf('ort-wasm'));
    const resolved = await resolveBackend('auto');
    expect(resolved.name).toBe('ort-node');
    expect(resolved.backend).toBeInstanceOf(OrtBackend);
  });

  it('registering again replaces the earlier onnxruntime backends instead of failing', () => {
    const before = backendRegistry.get('ort-node');
    registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
    expect(backendRegistry.get('ort-node')).not.toBe(before);
  });

  it('asking for an unavailable backend fails listing the available ones', async () => {
    const error = await resolveBackend('ort-webgpu').catch((e: unknown) => e);
    expect(isSamClipError(error, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/available backends: .*ort-node/);
    expect((error as Error).message).toContain('ort-wasm');
  });

  it('ort-webgpu answers unsupported in Node, with the reason', async () => {
    const answer = await createOrtWebGpuBackend().isSupported();
    expect(answer).toEqual({ supported: false, reason: expect.stringContaining('only in browsers') });
  });

  it('init of an unsupported backend fails with BACKEND_INIT naming it', async () => {
    const error = await createOrtWebGpuBackend().init().catch((e: unknown) => e);
    expect(isSamClipError(error, 'BACKEND_INIT')).toBe(true);
    expect((error as Error).message).toContain('ort-webgpu');
  });
});
