/**
 * onnxruntime-web engines: `ort-wasm` (CPU kernels in WebAssembly; browsers and Node) and
 * `ort-webgpu` (the WebGPU execution provider; browsers only). Both share one onnxruntime-web
 * module, whose wasm settings are global and fixed once its first session exists.
 */
import type * as OrtWeb from 'onnxruntime-web';
import type { OrtApi, OrtTensor } from './ort-api.js';
import { OrtBackend } from './backend.js';
import type { OrtEngine, OrtSessionDefaults } from './backend.js';
import { downloadWithGetData, fromOrtTensor } from './tensor.js';
import { SamClipError } from '@samclip/core';

export type OrtWebModule = typeof OrtWeb;

/** Settings of the onnxruntime-web module itself; the first backend to load it applies them. */
export interface OrtWebModuleOptions {
  /**
   * Where onnxruntime-web finds its `ort-wasm-*.wasm`/`.mjs` files: a URL prefix ending in `/`,
   * or one URL per file. Default: onnxruntime-web's own resolution (bundlers copy the files).
   * The Node entry (`@samclip/backend-ort/node`) points it at the files inside node_modules.
   */
  wasmPaths?: string | { wasm?: string; mjs?: string };
  /**
   * Wasm worker threads. Default: onnxruntime-web's choice — up to 4 when the page is
   * cross-origin isolated (SharedArrayBuffer available), otherwise 1.
   */
  numThreads?: number;
  /** Runs onnxruntime-web in a proxy worker so inference never blocks the main thread (browsers). */
  proxy?: boolean;
  /** Imports onnxruntime-web; replace to supply a custom build or an already-loaded module. */
  loadModule?: () => Promise<OrtWebModule>;
}

export type OrtWasmBackendOptions = OrtWebModuleOptions & OrtSessionDefaults;
export type OrtWebGpuBackendOptions = OrtWebModuleOptions & OrtSessionDefaults;

let webModule: Promise<OrtWebModule> | undefined;

function loadOrtWeb(options: OrtWebModuleOptions): Promise<OrtWebModule> {
  webModule ??= (async () => {
    const ort = await (options.loadModule ?? (() => import('onnxruntime-web')))();
    if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
    if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
    if (options.proxy !== undefined) ort.env.wasm.proxy = options.proxy;
    return ort;
  })().catch((error: unknown) => {
    webModule = undefined;
    throw error;
  });
  return webModule;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** onnxruntime-web's CPU engine in WebAssembly; threads when the page is cross-origin isolated. */
export function createOrtWasmBackend(options: OrtWasmBackendOptions = {}): OrtBackend {
  const engine: OrtEngine = {
    name: 'ort-wasm',
    load: () => loadOrtWeb(options),
    unsupportedReason: async () => (typeof WebAssembly === 'object' ? undefined : 'this runtime has no WebAssembly'),
    executionProviders: async () => ['wasm'],
    deviceOutputs: false,
    sessionThreads: false,
    defaults: {
      enableCpuMemArena: options.enableCpuMemArena ?? false,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    },
    download: async (_ort: OrtApi, tensor: OrtTensor) => fromOrtTensor(tensor),
  };
  return new OrtBackend(engine);
}

/** onnxruntime-web's WebGPU execution provider; outputs named in `keepOnDevice` stay in GPU buffers. */
export function createOrtWebGpuBackend(options: OrtWebGpuBackendOptions = {}): OrtBackend {
  const engine: OrtEngine = {
    name: 'ort-webgpu',
    load: () => loadOrtWeb(options),
    unsupportedReason: async () => {
      const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
      if (gpu === undefined) {
        return isNode()
          ? "onnxruntime-web's WebGPU EP runs only in browsers; on Node use ort-node-webgpu"
          : 'this browser exposes no WebGPU (navigator.gpu is missing)';
      }
      const adapter = await gpu.requestAdapter();
      return adapter === null ? 'WebGPU is present but no adapter is available' : undefined;
    },
    executionProviders: async () => ['webgpu'],
    // onnxruntime-web asks for shader-f16 when the adapter offers it; without it float16 shaders fail.
    supportsFloat16: async () => {
      const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<{ features: ReadonlySet<string> } | null> } } }).navigator?.gpu;
      const adapter = await gpu?.requestAdapter();
      return adapter?.features.has('shader-f16') ?? false;
    },
    deviceOutputs: true,
    sessionThreads: false,
    defaults: {
      // CPU-side tensors are few and small under the WebGPU EP; ORT's default arena is kept.
      enableCpuMemArena: options.enableCpuMemArena ?? true,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    },
    download: async (_ort: OrtApi, tensor: OrtTensor) => {
      try {
        return await downloadWithGetData(tensor);
      } catch (error) {
        throw new SamClipError(
          'SESSION',
          `ort-webgpu: reading a GPU buffer back failed: ${error instanceof Error ? error.message : String(error)}`,
          { backend: 'ort-webgpu' },
          { cause: error },
        );
      }
    },
  };
  return new OrtBackend(engine);
}
