/**
 * One samclip Backend per tfjs engine. All four share tfjs's global engine, so each session
 * switches the active engine to its own before compiling and before every run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SamClipError, decodeModel, registerBackend } from '@samclip/core';
import type { Backend, InferenceSession, SessionOptions } from '@samclip/core';
import { planModel } from './compile/plan.js';
import { KERNELS } from './kernels/index.js';
import { KernelRegistry } from './kernels/registry.js';
import { TfjsSession } from './session.js';

export type TfjsEngine = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

export interface TfjsBackendOptions {
  /**
   * Where tfjs-backend-wasm finds its .wasm files: a directory prefix (ending in '/') or a map of
   * file names to URLs/paths. In Node, `@samclip/backend-tfjs/node` resolves the installed files.
   */
  wasmPaths?: string | Record<string, string>;
  /** Backends to name when a graph uses an op these kernels lack. */
  alternatives?: readonly string[];
}

export const TFJS_BACKEND_NAMES: Readonly<Record<TfjsEngine, string>> = {
  cpu: 'tfjs-cpu',
  wasm: 'tfjs-wasm',
  webgl: 'tfjs-webgl',
  webgpu: 'tfjs-webgpu',
};

const PRIORITIES: Readonly<Record<TfjsEngine, number>> = { cpu: 20, wasm: 25, webgl: 70, webgpu: 80 };

const DEFAULT_ALTERNATIVES = ['ort-node', 'ort-wasm', 'ort-webgpu'];

const kernelRegistry = new KernelRegistry(KERNELS);

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function loadEngine(engine: TfjsEngine, options: TfjsBackendOptions): Promise<void> {
  switch (engine) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (options.wasmPaths) wasm.setWasmPaths(options.wasmPaths);
      return;
    }
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      return;
    case 'webgpu':
      await import('@tensorflow/tfjs-backend-webgpu');
      return;
  }
}

export class TfjsBackend implements Backend {
  #ready: Promise<void> | undefined;

  constructor(
    readonly engine: TfjsEngine,
    private readonly options: TfjsBackendOptions = {},
  ) {}

  get name(): string {
    return TFJS_BACKEND_NAMES[this.engine];
  }

  async isSupported(): Promise<boolean | { supported: false; reason: string }> {
    switch (this.engine) {
      case 'cpu':
        return true;
      case 'wasm':
        return typeof WebAssembly === 'object' ? true : { supported: false, reason: 'WebAssembly is not available in this runtime' };
      case 'webgl': {
        if (typeof document === 'undefined' && typeof OffscreenCanvas === 'undefined') {
          return { supported: false, reason: isNode() ? 'WebGL needs a browser (Node has no WebGL context); use tfjs-wasm or tfjs-cpu' : 'no canvas to create a WebGL context on' };
        }
        return true;
      }
      case 'webgpu': {
        const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
        return gpu ? true : { supported: false, reason: 'navigator.gpu is missing: this runtime has no WebGPU' };
      }
    }
  }

  init(): Promise<void> {
    this.#ready ??= (async () => {
      try {
        await loadEngine(this.engine, this.options);
      } catch (error) {
        throw new SamClipError('BACKEND_INIT', `Could not load @tensorflow/tfjs-backend-${this.engine}; install it next to @samclip/backend-tfjs.`, { backend: this.name }, { cause: error });
      }
      await this.activate();
    })();
    return this.#ready;
  }

  /** Makes this engine tfjs's active one (the engine is global, shared by every tfjs backend). */
  async activate(): Promise<void> {
    if (tf.getBackend() === this.engine) return;
    let ok = false;
    try {
      ok = await tf.setBackend(this.engine);
    } catch (error) {
      throw new SamClipError('BACKEND_INIT', `TensorFlow.js could not start its ${this.engine} engine: ${error instanceof Error ? error.message : String(error)}`, { backend: this.name }, { cause: error });
    }
    if (!ok) throw new SamClipError('BACKEND_INIT', `TensorFlow.js could not start its ${this.engine} engine here.`, { backend: this.name });
  }

  supportedOps(): ReadonlySet<string> {
    return kernelRegistry.ops();
  }

  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
    await this.init();
    await this.activate();
    const decoded = decodeModel(model);
    const inputShapes = options.extra?.['inputShapes'] as Record<string, number[]> | undefined;
    const plan = planModel(decoded, {
      registry: kernelRegistry,
      alternatives: this.options.alternatives ?? DEFAULT_ALTERNATIVES,
      ...(inputShapes ? { inputShapes } : {}),
      ...(options.externalData ? { externalData: options.externalData } : {}),
    });
    return new TfjsSession(plan, () => this.activate(), new Set(options.keepOnDevice ?? []));
  }
}

export interface RegisterTfjsOptions extends TfjsBackendOptions {
  /** Which engines to register (all four by default; each reports where it cannot run). */
  engines?: readonly TfjsEngine[];
}

/** Registers tfjs-cpu (20), tfjs-wasm (25), tfjs-webgl (70) and tfjs-webgpu (80) with the samclip backend registry. */
export function registerTfjsBackends(options: RegisterTfjsOptions = {}): TfjsBackend[] {
  const engines = options.engines ?? (['cpu', 'wasm', 'webgl', 'webgpu'] as const);
  return engines.map((engine) => {
    const backend = new TfjsBackend(engine, options);
    registerBackend(TFJS_BACKEND_NAMES[engine], backend, PRIORITIES[engine]);
    return backend;
  });
}
