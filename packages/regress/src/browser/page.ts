/**
 * The regression page: bundled for Chromium by the matrix (browser-runner.ts), it loads the bundle
 * over the local server and runs it on one backend, exposing `samclipRegress.run` to the harness.
 * Engine files are served by the same origin: onnxruntime-web's under /ort/, tfjs-backend-wasm's
 * under /tfjs-wasm/ (never a CDN).
 */
import { SamClipError, loadBundle } from '@samclip/core';
import type { Backend } from '@samclip/core';
import { createOrtWasmBackend, createOrtWebGpuBackend } from '@samclip/backend-ort';
import { TfjsBackend } from '@samclip/backend-tfjs';
import { runBundle } from '../run-bundle.js';
import type { RunOptions } from '../run-bundle.js';
import { serializeRun } from '../serialize.js';

export const ORT_WASM_PREFIX = '/ort/';
export const TFJS_WASM_PREFIX = '/tfjs-wasm/';

function createBackend(name: string): Backend {
  switch (name) {
    case 'ort-wasm':
      return createOrtWasmBackend({ wasmPaths: ORT_WASM_PREFIX });
    case 'ort-webgpu':
      return createOrtWebGpuBackend({ wasmPaths: ORT_WASM_PREFIX });
    case 'tfjs-cpu':
      return new TfjsBackend('cpu');
    case 'tfjs-wasm':
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
  environment(): { crossOriginIsolated: boolean; hardwareConcurrency: number; userAgent: string };
}

const api: RegressPageApi = {
  async run({ backend: name, bundleUrl, options }) {
    const bundle = await loadBundle(new URL(bundleUrl, location.href), { cache: false });
    const backend = createBackend(name);
    try {
      return serializeRun(await runBundle(bundle, backend, name, { ...options, onProgress: (message) => console.info(message) }));
    } finally {
      await backend.dispose?.();
    }
  },
  environment: () => ({ crossOriginIsolated: globalThis.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, userAgent: navigator.userAgent }),
};

(globalThis as unknown as { samclipRegress: RegressPageApi }).samclipRegress = api;
