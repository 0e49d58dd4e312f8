import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTensor, isSamClipError } from '@samclip/core';
import type { DeviceTensor, Tensor } from '@samclip/core';
import { createOrtNodeWebGpuBackend } from './node.js';
import { OrtDeviceTensor } from './session.js';
import { addModel, float16RoundTripModel } from './tiny-models.js';
import { cpuTensor } from './test-utils/data.js';

// Dawn reaches a GPU through the Vulkan loader; on machines without one, Chromium's SwiftShader
// ICD is a software Vulkan device. Set before the first WebGPU session creates Dawn's instance.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD)) process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;

describe('ort-node-webgpu', () => {
  const backend = createOrtNodeWebGpuBackend();

  afterAll(async () => {
    await backend.dispose();
  });

  it('is supported here, or says why not and refuses to initialise', async () => {
    const answer = await backend.isSupported();
    console.info(`ort-node-webgpu on this machine: ${answer === true ? 'supported' : `unsupported — ${JSON.stringify(answer)}`}`);
    if (answer === true) {
      await backend.init();
      return;
    }
    expect(answer).toEqual({ supported: false, reason: expect.stringMatching(/WebGPU/) });
    const error = await backend.init().catch((e: unknown) => e);
    expect(isSamClipError(error, 'BACKEND_INIT')).toBe(true);
    expect((error as Error).message).toContain('ort-node-webgpu cannot run here');
  });

  it('keeps an output on the GPU, feeds it back without a copy, and downloads it', async () => {
    if ((await backend.isSupported()) !== true) return; // the previous test covers the unsupported answer
    const session = await backend.createSession(addModel(), { keepOnDevice: ['sum'] });
    const a = createTensor('float32', [3], [1, 2, 3]);
    const first = (await session.run({ a, b: a })).sum as DeviceTensor;
    expect(first).toBeInstanceOf(OrtDeviceTensor);
    expect(first.location).toBe('device');
    expect(first.dtype).toBe('float32');
    expect(first.dims).toEqual([3]);

    const second = (await session.run({ a: first, b: a })).sum as DeviceTensor;
    const secondOnCpu = await second.download();
    expect(Array.from(secondOnCpu.data as Float32Array)).toEqual([3, 6, 9]);
    const firstOnCpu: Tensor = await first.download();
    expect(Array.from(firstOnCpu.data as Float32Array)).toEqual([2, 4, 6]);

    first.dispose();
    second.dispose();
    const error = await first.download().catch((e: unknown) => e);
    expect(isSamClipError(error, 'DISPOSED')).toBe(true);
    const reuse = await session.run({ a: first, b: a }).catch((e: unknown) => e);
    expect(isSamClipError(reuse, 'DISPOSED')).toBe(true);
    await session.dispose();
  });

  it('returns CPU tensors for outputs not kept on the device', async () => {
    if ((await backend.isSupported()) !== true) return;
    const session = await backend.createSession(addModel());
    const a = createTensor('float32', [2], [0.5, 1.5]);
    const out = cpuTensor((await session.run({ a, b: a })).sum, 'sum');
    expect(Array.from(out.data as Float32Array)).toEqual([1, 3]);
    await session.dispose();
  });

  it('runs float16 graphs on any adapter: float16 kernels where it has shader-f16, float32 arithmetic where not', async () => {
    if ((await backend.isSupported()) !== true) return;
    const float16 = await backend.supportsFloat16();
    console.info(`ort-node-webgpu float16 kernels on this adapter: ${float16}`);
    // SwiftShader (CI) has no shader-f16: without the upcast this graph fails at run time there.
    const session = await backend.createSession(float16RoundTripModel());
    const x = createTensor('float32', [3], [0.1, 2049, -7.5]);
    const y = cpuTensor((await session.run({ x })).y, 'y');
    // 0.1 and 2049 are not float16 values: float16 kernels round them (0.0999755859375·2, 2048·2);
    // upcast, the arithmetic is float32's.
    const expected = float16 ? [0.199951171875, 4096, -15] : [Math.fround(0.1) * 2, 4098, -15];
    expect(Array.from(y.data as Float32Array)).toEqual(expected);
    await session.dispose();
  });
});
