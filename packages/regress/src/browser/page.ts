/**
 * The regression page: bundled for Chromium by the matrix (browser-runner.ts), it loads bundles
 * over the local server and runs them on one backend, exposing `samclipRegress.run` to the harness;
 * the backend is created on the first run and kept for the next bundles until `dispose`.
 * Engine files are served by the same origin: onnxruntime-web's under /ort/, tfjs-backend-wasm's
 * under /tfjs-wasm/ (never a CDN).
 */
import { SamClipError, loadBundle } from '@samclip/core';
import type { Backend } from '@samclip/core';
import { createOrtWasmBackend, createOrtWebGpuBackend } from '@samclip/backend-ort';
import type { OrtWebModule } from '@samclip/backend-ort';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { TfjsBackend } from '@samclip/backend-tfjs';
import { runBundle } from '../run-bundle.js';
import type { RunOptions } from '../run-bundle.js';
import { serializeRun } from '../serialize.js';

export const ORT_WASM_PREFIX = '/ort/';
export const TFJS_WASM_PREFIX = '/tfjs-wasm/';

let ortModule: OrtWebModule | undefined;

/** onnxruntime-web, kept so the page can report the thread count it settled on. */
async function loadOrtWeb(): Promise<OrtWebModule> {
  ortModule ??= await import('onnxruntime-web');
  return ortModule;
}

/** Wasm threads: up to 4 when the page is cross-origin isolated (SharedArrayBuffer), else 1. */
function wasmThreads(): number {
  return globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency)) : 1;
}

async function createBackend(name: string): Promise<Backend> {
  const ortOptions = { wasmPaths: ORT_WASM_PREFIX, numThreads: wasmThreads(), loadModule: loadOrtWeb };
  switch (name) {
    case 'ort-wasm':
      return createOrtWasmBackend(ortOptions);
    case 'ort-webgpu':
      return createOrtWebGpuBackend(ortOptions);
    case 'tfjs-cpu':
      return new TfjsBackend('cpu');
    case 'tfjs-wasm':
      // Set before the backend initialises: tfjs-backend-wasm sizes its pool once.
      tfjsWasm = await import('@tensorflow/tfjs-backend-wasm');
      tfjsWasm.setThreadsCount(wasmThreads());
      return new TfjsBackend('wasm', { wasmPaths: TFJS_WASM_PREFIX });
    case 'tfjs-webgl':
      return new TfjsBackend('webgl');
    case 'tfjs-webgpu':
      return new TfjsBackend('webgpu');
    default:
      throw new SamClipError('INVALID_ARGUMENT', `the regression page has no backend "${name}"`, { backend: name });
  }
}

export interface PageRunRequest {
  backend: string;
  bundleUrl: string;
  options: Omit<RunOptions, 'onProgress'>;
}

export interface RegressPageApi {
  /** The serialized BackendRun (see serialize.ts). */
  run(request: PageRunRequest): Promise<string>;
  /** Disposes the backend the runs created. */
  dispose(): Promise<void>;
  /** Where the page stands after a run: isolation, and the wasm threads each engine uses. */
  environment(): PageEnvironment;
}

export interface PageEnvironment {
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  /** onnxruntime-web's `env.wasm.numThreads` (undefined before it loads). */
  ortThreads?: number;
  /** tfjs-backend-wasm's thread count (undefined before it loads). */
  tfjsWasmThreads?: number;
}

let tfjsWasm: typeof TfjsWasm | undefined;

/** The page's backend, by name: one engine serves every bundle of the column. */
const backends = new Map<string, Promise<Backend>>();

function backendNamed(name: string): Promise<Backend> {
  let backend = backends.get(name);
  if (!backend) {
    backend = createBackend(name);
    backends.set(name, backend);
  }
  return backend;
}

const api: RegressPageApi = {
  async run({ backend: name, bundleUrl, options }) {
    const bundle = await loadBundle(new URL(bundleUrl, location.href), { cache: false });
    const backend = await backendNamed(name);
    return serializeRun(await runBundle(bundle, backend, name, { ...options, onProgress: (message) => console.info(message) }));
  },
  async dispose() {
    const open = [...backends.values()];
    backends.clear();
    for (const backend of open) await (await backend).dispose?.();
  },
  environment: () => {
    const env: PageEnvironment = { crossOriginIsolated: globalThis.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent };
    const threads = ortModule?.env.wasm.numThreads;
    if (threads !== undefined) env.ortThreads = threads;
    if (tfjsWasm) env.tfjsWasmThreads = tfjsWasm.getThreadsCount();
    return env;
  },
};

(globalThis as unknown as { samclipRegress: RegressPageApi }).samclipRegress = api;
