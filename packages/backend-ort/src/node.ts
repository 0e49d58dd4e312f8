/**
 * Node entry: onnxruntime-node engines (`ort-node` on CPU, or CUDA when its provider libraries
 * are installed; `ort-node-webgpu` through Dawn) plus `ort-wasm` with its files resolved from
 * node_modules, so nothing is fetched at run time.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type * as OrtNode from 'onnxruntime-node';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SamClipError } from '@samclip/core';
import type { DType, Tensor } from '@samclip/core';
import { OrtBackend, registerOrtBackend } from './backend.js';
import type { ExecutionProvider, OrtEngine, OrtSessionDefaults } from './backend.js';
import type { OrtApi, OrtSession, OrtTensor } from './ort-api.js';
import { fromOrtTensor } from './tensor.js';
import { addModel, float16RoundTripModel, identityModel } from './tiny-models.js';
import { createOrtWasmBackend } from './web.js';
import type { OrtWasmBackendOptions } from './web.js';

export * from './index.js';

type OrtNodeModule = typeof OrtNode;

const require = createRequire(import.meta.url);

let nodeModule: Promise<OrtNodeModule> | undefined;

function loadOrtNode(): Promise<OrtNodeModule> {
  nodeModule ??= import('onnxruntime-node')
    .then((imported) => {
      // A CommonJS package: its exports sit on `default` when Node cannot list them statically.
      const withDefault = imported as OrtNodeModule & { default?: OrtNodeModule };
      return withDefault.default ?? imported;
    })
    .catch((error: unknown) => {
      nodeModule = undefined;
      throw error;
    });
  return nodeModule;
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

/** Creates a session on `providers` and runs the Add probe; throws what ort throws. */
async function probeProviders(ort: OrtApi, providers: readonly ExecutionProvider[]): Promise<void> {
  const session = await ort.InferenceSession.create(addModel(), { executionProviders: providers, logSeverityLevel: 3 });
  try {
    const one = new ort.Tensor('float32', new Float32Array([1, 2]), [2]);
    const result = await session.run({ a: one, b: one });
    const sum = result.sum?.data;
    if (!(sum instanceof Float32Array) || sum[0] !== 2 || sum[1] !== 4) {
      throw new Error(`the probe graph computed ${String(sum)} instead of [2,4]`);
    }
  } finally {
    await session.release();
  }
}

/** Directory holding onnxruntime-node's native libraries for this platform. */
function nativeLibraryDir(): string {
  return path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

function cudaLibraryName(): string {
  return process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
}

export interface OrtNodeBackendOptions extends OrtSessionDefaults {
  /**
   * CUDA execution provider: `'auto'` (default) uses it when onnxruntime-node's CUDA libraries are
   * installed and a probe session runs; `true` requires it; `false` never tries.
   */
  cuda?: boolean | 'auto';
  /** CUDA device ordinal (default 0). */
  cudaDeviceId?: number;
}

export type OrtNodeWebGpuBackendOptions = OrtSessionDefaults;

/** Picks `['cuda', 'cpu']` when CUDA can run here (per `options.cuda`), else `['cpu']`. */
async function nodeProviders(ort: OrtNodeModule, options: OrtNodeBackendOptions): Promise<readonly ExecutionProvider[]> {
  const mode = options.cuda ?? 'auto';
  if (mode === false) return ['cpu'];
  const cuda: ExecutionProvider = { name: 'cuda', deviceId: options.cudaDeviceId ?? 0 };
  let reason: string | undefined;
  const listed = ort.listSupportedBackends().some((backend) => backend.name === 'cuda');
  if (!listed) {
    reason = 'this onnxruntime-node build has no CUDA execution provider';
  } else if (!existsSync(path.join(nativeLibraryDir(), cudaLibraryName()))) {
    // Checked first because a failed CUDA load makes onnxruntime print an error even when caught.
    reason = `the CUDA provider library ${cudaLibraryName()} is not installed (onnxruntime-node downloads it at install time when asked to; see its README)`;
  } else {
    try {
      await probeProviders(ort, [cuda]);
      return [cuda, 'cpu'];
    } catch (error) {
      reason = `the CUDA execution provider failed to start: ${errorMessage(error)}`;
    }
  }
  if (mode === true) throw new Error(`CUDA was required (cuda: true) but ${reason}`);
  return ['cpu'];
}

/** onnxruntime-node: CPU kernels, or CUDA first when it is installed and works. */
export function createOrtNodeBackend(options: OrtNodeBackendOptions = {}): OrtBackend {
  const engine: OrtEngine = {
    name: 'ort-node',
    load: loadOrtNode,
    unsupportedReason: async () => undefined,
    executionProviders: async () => nodeProviders(await loadOrtNode(), options),
    deviceOutputs: false,
    sessionThreads: true,
    readsFiles: true,
    defaults: {
      enableCpuMemArena: options.enableCpuMemArena ?? false,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    },
    download: async (_ort: OrtApi, tensor: OrtTensor) => fromOrtTensor(tensor),
  };
  return new OrtBackend(engine);
}

/**
 * onnxruntime-node with its WebGPU execution provider (Dawn over Vulkan, Metal or D3D12).
 * Outputs named in `keepOnDevice` stay in GPU buffers between runs.
 */
export function createOrtNodeWebGpuBackend(options: OrtNodeWebGpuBackendOptions = {}): OrtBackend {
  // onnxruntime-node 1.30's native gpu-buffer downloader aborts the process (seen on SwiftShader),
  // so device tensors come back through an Identity session whose output is on the CPU.
  const identities = new Map<DType, Promise<OrtSession>>();
  const identityFor = (ort: OrtApi, dtype: DType): Promise<OrtSession> => {
    let session = identities.get(dtype);
    if (session === undefined) {
      session = ort.InferenceSession.create(identityModel(dtype), { executionProviders: ['webgpu'] });
      session.catch(() => identities.delete(dtype));
      identities.set(dtype, session);
    }
    return session;
  };
  const engine: OrtEngine = {
    name: 'ort-node-webgpu',
    load: loadOrtNode,
    unsupportedReason: async (ort) => {
      const node = await loadOrtNode();
      if (!node.listSupportedBackends().some((backend) => backend.name === 'webgpu')) {
        return 'this onnxruntime-node build has no WebGPU execution provider';
      }
      try {
        await probeProviders(ort, ['webgpu']);
        return undefined;
      } catch (error) {
        return `the WebGPU execution provider could not run a probe graph: ${errorMessage(error)}`;
      }
    },
    executionProviders: async () => ['webgpu'],
    // Dawn reports shader-f16 only where the adapter has it (not on SwiftShader); onnxruntime
    // fails such graphs at run time, so a float16 round trip is run once to ask.
    supportsFloat16: async (ort) => {
      const session = await ort.InferenceSession.create(float16RoundTripModel(), { executionProviders: ['webgpu'], logSeverityLevel: 4 });
      try {
        const result = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1.5, -3), [2]) });
        const y = result.y?.data;
        return y instanceof Float32Array && y[0] === 3 && y[1] === -6;
      } finally {
        await session.release();
      }
    },
    readFile: async (file) => new Uint8Array(await readFile(file)),
    deviceOutputs: true,
    sessionThreads: true,
    readsFiles: true,
    defaults: {
      // CPU-side tensors are few and small under the WebGPU EP; ORT's default arena is kept.
      enableCpuMemArena: options.enableCpuMemArena ?? true,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    },
    download: async (ort: OrtApi, tensor: OrtTensor): Promise<Tensor> => {
      const dtype = tensor.type as DType;
      try {
        const identity = await identityFor(ort, dtype);
        const result = await identity.run({ x: tensor });
        const copy = result.y;
        if (copy === undefined) throw new Error('the copy graph returned no output');
        return fromOrtTensor(copy as OrtTensor);
      } catch (error) {
        throw new SamClipError(
          'SESSION',
          `ort-node-webgpu: copying a ${dtype} GPU buffer to the CPU failed: ${errorMessage(error)}`,
          { backend: 'ort-node-webgpu', dtype },
          { cause: error },
        );
      }
    },
    release: async () => {
      const sessions = [...identities.values()];
      identities.clear();
      await Promise.all(sessions.map(async (pending) => (await pending.catch(() => undefined))?.release()));
    },
  };
  return new OrtBackend(engine);
}

/** URL prefix of onnxruntime-web's wasm files inside node_modules. */
export function ortWebWasmDir(): string {
  return pathToFileURL(path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + path.sep).href;
}

export interface OrtNodeBackendsOptions {
  /** `false` skips registering the backend. */
  'ort-node'?: OrtNodeBackendOptions | false;
  'ort-node-webgpu'?: OrtNodeWebGpuBackendOptions | false;
  'ort-wasm'?: OrtWasmBackendOptions | false;
}

/** Backend priorities on Node: `auto` tries ort-node first, then WebGPU, then wasm. */
export const ORT_NODE_PRIORITIES = { 'ort-node': 100, 'ort-node-webgpu': 40, 'ort-wasm': 30 } as const;

/** Registers the Node onnxruntime backends with core; returns the names registered. */
export function registerOrtNodeBackends(options: OrtNodeBackendsOptions = {}): string[] {
  const registered: string[] = [];
  const nodeOptions = options['ort-node'];
  if (nodeOptions !== false) {
    registerOrtBackend('ort-node', createOrtNodeBackend(nodeOptions), ORT_NODE_PRIORITIES['ort-node']);
    registered.push('ort-node');
  }
  const webGpuOptions = options['ort-node-webgpu'];
  if (webGpuOptions !== false) {
    registerOrtBackend('ort-node-webgpu', createOrtNodeWebGpuBackend(webGpuOptions), ORT_NODE_PRIORITIES['ort-node-webgpu']);
    registered.push('ort-node-webgpu');
  }
  const wasmOptions = options['ort-wasm'];
  if (wasmOptions !== false) {
    registerOrtBackend('ort-wasm', createOrtWasmBackend({ wasmPaths: ortWebWasmDir(), ...wasmOptions }), ORT_NODE_PRIORITIES['ort-wasm']);
    registered.push('ort-wasm');
  }
  return registered;
}
