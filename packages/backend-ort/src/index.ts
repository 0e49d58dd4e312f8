/**
 * Browser-safe entry: the onnxruntime-web backends (`ort-wasm`, `ort-webgpu`). Node users import
 * `@samclip/backend-ort/node`, which adds the onnxruntime-node backends.
 */
import { registerOrtBackend } from './backend.js';
import { createOrtWasmBackend, createOrtWebGpuBackend } from './web.js';
import type { OrtWasmBackendOptions, OrtWebGpuBackendOptions } from './web.js';

export { OrtBackend, registerOrtBackend } from './backend.js';
export type { ExecutionProvider, GraphOptimizationLevel, OrtEngine, OrtSessionDefaults, SupportAnswer } from './backend.js';
export { OrtDeviceTensor, OrtInferenceSession } from './session.js';
export { fromOrtTensor, toOrtTensor } from './tensor.js';
export { createOrtWasmBackend, createOrtWebGpuBackend } from './web.js';
export type { OrtWasmBackendOptions, OrtWebGpuBackendOptions, OrtWebModule, OrtWebModuleOptions } from './web.js';

export interface OrtWebBackendsOptions {
  /** `false` skips registering the backend. */
  'ort-wasm'?: OrtWasmBackendOptions | false;
  'ort-webgpu'?: OrtWebGpuBackendOptions | false;
}

/** Backend priorities in browsers: `auto` prefers WebGPU when the browser has an adapter. */
export const ORT_WEB_PRIORITIES = { 'ort-webgpu': 40, 'ort-wasm': 30 } as const;

/** Registers the onnxruntime-web backends with core; returns the names registered. */
export function registerOrtWebBackends(options: OrtWebBackendsOptions = {}): string[] {
  const registered: string[] = [];
  const webGpuOptions = options['ort-webgpu'];
  if (webGpuOptions !== false) {
    registerOrtBackend('ort-webgpu', createOrtWebGpuBackend(webGpuOptions), ORT_WEB_PRIORITIES['ort-webgpu']);
    registered.push('ort-webgpu');
  }
  const wasmOptions = options['ort-wasm'];
  if (wasmOptions !== false) {
    registerOrtBackend('ort-wasm', createOrtWasmBackend(wasmOptions), ORT_WEB_PRIORITIES['ort-wasm']);
    registered.push('ort-wasm');
  }
  return registered;
}
