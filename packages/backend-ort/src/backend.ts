/**
 * One class serves all four onnxruntime backends; what differs (which module, which execution
 * providers, how support is probed, whether outputs can stay on the device) is an `OrtEngine`.
 * The engine module is imported on first use, so registering a backend loads nothing.
 */
import { backendRegistry, decodeModel, encodeModel, hasFloat16Arithmetic, SamClipError, upcastFloat16 } from '@samclip/core';
import type { Backend, InferenceSession, SessionOptions, Tensor } from '@samclip/core';
import type { OrtApi, OrtSessionOptions, OrtTensor } from './ort-api.js';
import { OrtInferenceSession } from './session.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Session settings every onnxruntime backend accepts at creation. */
export interface OrtSessionDefaults {
  /**
   * ORT's CPU memory arena keeps freed blocks for reuse. Off by default on the CPU engines: on a
   * ViT-B encode it roughly doubles peak RSS for no measurable speed-up.
   */
  enableCpuMemArena?: boolean;
  /** Graph optimisation level (default `'all'`). */
  graphOptimizationLevel?: GraphOptimizationLevel;
}

export type ExecutionProvider = NonNullable<OrtSessionOptions['executionProviders']>[number];

/** What makes one onnxruntime backend differ from another. */
export interface OrtEngine {
  readonly name: string;
  /** Imports and configures the onnxruntime module; throws when it cannot be loaded. */
  load(): Promise<OrtApi>;
  /** Why this engine cannot run here, or undefined when it can; never throws. */
  unsupportedReason(ort: OrtApi): Promise<string | undefined>;
  /** Execution providers for every session, decided once support is known. */
  executionProviders(ort: OrtApi): Promise<readonly ExecutionProvider[]>;
  /** Whether `keepOnDevice` outputs can stay on the device (as `gpu-buffer`). */
  readonly deviceOutputs: boolean;
  /** Whether `SessionOptions.threads` maps to ORT's intra-op threads (the wasm engine sizes its pool once, globally). */
  readonly sessionThreads: boolean;
  /** Whether the engine opens ONNX files by path itself (onnxruntime-node), enabling `createSessionFromFile`. */
  readonly readsFiles?: boolean;
  readonly defaults: Required<OrtSessionDefaults>;
  /** Copies a device-resident output to the CPU. */
  download(ort: OrtApi, tensor: OrtTensor): Promise<Tensor>;
  /**
   * Whether float16 arithmetic runs on this device (WebGPU: the adapter's `shader-f16`). Engines
   * without it are given float16 graphs with their arithmetic upcast to float32 (core's
   * `upcastFloat16`); omitted: float16 always runs (CPU engines have float16 kernels or fall back).
   */
  supportsFloat16?(ort: OrtApi): Promise<boolean>;
  /** Reads an ONNX file by path, for engines that open files (needed to upcast a float16 file). */
  readFile?(file: string): Promise<Uint8Array>;
  /** Frees engine-held resources beyond the sessions. */
  release?(): Promise<void>;
}

/** Whether these providers work in host memory, where the CPU arena holds their buffers (not GPU memory). */
function holdsHostBuffers(providers: readonly ExecutionProvider[]): boolean {
  return providers.every((provider) => {
    const name = typeof provider === 'string' ? provider : provider.name;
    return name === 'cpu' || name === 'wasm';
  });
}

export type SupportAnswer = boolean | { supported: false; reason: string };

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trim();
}

export class OrtBackend implements Backend {
  readonly name: string;
  readonly #engine: OrtEngine;
  #loaded: Promise<{ ort: OrtApi } | { reason: string; cause?: unknown }> | undefined;
  #providers: Promise<readonly ExecutionProvider[]> | undefined;
  #float16: Promise<boolean> | undefined;
  readonly #sessions = new Set<OrtInferenceSession>();
  /** Present on engines that read ONNX files themselves (see `Backend.createSessionFromFile`). */
  readonly createSessionFromFile?: (file: string, options?: SessionOptions) => Promise<InferenceSession>;

  constructor(engine: OrtEngine) {
    this.name = engine.name;
    this.#engine = engine;
    if (engine.readsFiles) this.createSessionFromFile = (file, options) => this.#createSession(file, options);
  }

  async isSupported(): Promise<SupportAnswer> {
    const loaded = await this.#load();
    return 'ort' in loaded ? true : { supported: false, reason: loaded.reason };
  }

  async init(): Promise<void> {
    await this.#ready();
  }

  /** ORT runs every standard ONNX operator (falling back to its CPU kernels inside a session), so no list is given. */
  supportedOps(): ReadonlySet<string> | undefined {
    return undefined;
  }

  /** Names of the execution providers every session gets, in order (e.g. `['cuda', 'cpu']`); initialises the backend. */
  async executionProviders(): Promise<string[]> {
    const { providers } = await this.#ready();
    return providers.map((provider) => (typeof provider === 'string' ? provider : provider.name));
  }

  createSession(model: Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
    return this.#createSession(model, options);
  }

  async #createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<InferenceSession> {
    const { ort, providers } = await this.#ready();
    if (typeof model === 'string' && options.externalData !== undefined) {
      throw new SamClipError('INVALID_ARGUMENT', `${this.name}: a session from a file reads its external data beside the file; do not pass externalData as well.`, { backend: this.name });
    }
    const ortOptions = this.#sessionOptions(options, providers);
    model = await this.#withoutUnsupportedFloat16(ort, model);
    let created: Awaited<ReturnType<OrtApi['InferenceSession']['create']>>;
    try {
      created = await ort.InferenceSession.create(model, ortOptions);
    } catch (error) {
      throw new SamClipError(
        'SESSION',
        `${this.name}: onnxruntime could not create a session for ${typeof model === 'string' ? model : 'this graph'}: ${errorMessage(error)}`,
        { backend: this.name },
        { cause: error },
      );
    }
    const session = new OrtInferenceSession(
      {
        backend: this.name,
        ort,
        download: (tensor) => this.#engine.download(ort, tensor),
        onDispose: (disposed) => this.#sessions.delete(disposed),
      },
      created,
      options.reuseBuffers === true && ortOptions.enableCpuMemArena === true && holdsHostBuffers(providers),
    );
    const outputNames = session.outputs.map((output) => output.name);
    const unknown = (options.keepOnDevice ?? []).filter((name) => !outputNames.includes(name));
    if (unknown.length > 0) {
      await created.release();
      throw new SamClipError(
        'INVALID_ARGUMENT',
        `${this.name}: keepOnDevice names ${unknown.map((n) => `'${n}'`).join(', ')}, which the graph does not output; its outputs are ${outputNames.join(', ')}.`,
        { backend: this.name, tensor: unknown[0], outputs: outputNames },
      );
    }
    this.#sessions.add(session);
    return session;
  }

  /**
   * Whether this device runs float16 arithmetic (probed once; engines without a probe, the CPU ones,
   * answer true). Float16 graphs given to a backend where it is false run with float32 arithmetic.
   */
  async supportsFloat16(): Promise<boolean> {
    const { ort } = await this.#ready();
    return this.#engine.supportsFloat16 === undefined || (await this.#float16Support(ort));
  }

  #float16Support(ort: OrtApi): Promise<boolean> {
    this.#float16 ??= (this.#engine.supportsFloat16?.(ort) ?? Promise.resolve(true)).catch(() => false);
    return this.#float16;
  }

  /** The model as given, or with its float16 arithmetic upcast where the device has none. */
  async #withoutUnsupportedFloat16(ort: OrtApi, model: Uint8Array | string): Promise<Uint8Array | string> {
    if (this.#engine.supportsFloat16 === undefined || (await this.#float16Support(ort))) return model;
    let bytes: Uint8Array;
    if (typeof model === 'string') {
      if (this.#engine.readFile === undefined) return model;
      bytes = await this.#engine.readFile(model);
    } else {
      bytes = model;
    }
    const decoded = decodeModel(bytes);
    if (!hasFloat16Arithmetic(decoded)) return model;
    upcastFloat16(decoded);
    return encodeModel(decoded);
  }

  async dispose(): Promise<void> {
    const sessions = [...this.#sessions];
    this.#sessions.clear();
    await Promise.all(sessions.map((session) => session.dispose()));
    await this.#engine.release?.();
  }

  #load(): Promise<{ ort: OrtApi } | { reason: string; cause?: unknown }> {
    this.#loaded ??= (async () => {
      let ort: OrtApi;
      try {
        ort = await this.#engine.load();
      } catch (error) {
        return { reason: `onnxruntime could not be loaded: ${errorMessage(error)}`, cause: error };
      }
      try {
        const reason = await this.#engine.unsupportedReason(ort);
        return reason === undefined ? { ort } : { reason };
      } catch (error) {
        return { reason: errorMessage(error), cause: error };
      }
    })();
    return this.#loaded;
  }

  async #ready(): Promise<{ ort: OrtApi; providers: readonly ExecutionProvider[] }> {
    const loaded = await this.#load();
    if (!('ort' in loaded)) {
      throw new SamClipError('BACKEND_INIT', `${this.name} cannot run here: ${loaded.reason}`, { backend: this.name, reason: loaded.reason }, { cause: loaded.cause });
    }
    const { ort } = loaded;
    this.#providers ??= this.#engine.executionProviders(ort);
    try {
      return { ort, providers: await this.#providers };
    } catch (error) {
      this.#providers = undefined;
      throw new SamClipError('BACKEND_INIT', `${this.name}: choosing execution providers failed: ${errorMessage(error)}`, { backend: this.name }, { cause: error });
    }
  }

  #sessionOptions(options: SessionOptions, providers: readonly ExecutionProvider[]): OrtSessionOptions {
    const engine = this.#engine;
    const ortOptions: { -readonly [K in keyof OrtSessionOptions]: OrtSessionOptions[K] } = {
      graphOptimizationLevel: engine.defaults.graphOptimizationLevel,
      // The CPU memory arena is onnxruntime's pool of working buffers: kept between runs, and
      // given back only when the session is released.
      enableCpuMemArena: options.reuseBuffers ?? engine.defaults.enableCpuMemArena,
      ...(options.extra as OrtSessionOptions | undefined),
      executionProviders: providers,
    };
    if (options.threads !== undefined) {
      if (!Number.isInteger(options.threads) || options.threads < 0) {
        throw new SamClipError('INVALID_ARGUMENT', `${this.name}: threads must be a non-negative integer (0 lets onnxruntime choose), got ${options.threads}.`, {
          backend: this.name,
          threads: options.threads,
        });
      }
      if (engine.sessionThreads) ortOptions.intraOpNumThreads = options.threads;
    }
    if (options.spinAfterRun === false && engine.sessionThreads) {
      // onnxruntime's session setting session.force_spinning_stop; one set in `extra` wins.
      const extra = (ortOptions.extra ?? {}) as Record<string, unknown>;
      const session = (extra.session ?? {}) as Record<string, unknown>;
      if (session.force_spinning_stop === undefined) ortOptions.extra = { ...extra, session: { ...session, force_spinning_stop: '1' } };
    }
    // onnxruntime's memory pattern is the plan; one set in `extra` wins.
    if (options.planBuffers === false && (options.extra as OrtSessionOptions | undefined)?.enableMemPattern === undefined) ortOptions.enableMemPattern = false;
    if (options.externalData !== undefined && options.externalData.size > 0) {
      ortOptions.externalData = [...options.externalData].map(([path, data]) => ({ path, data }));
    }
    const keep = options.keepOnDevice ?? [];
    if (engine.deviceOutputs && keep.length > 0) {
      ortOptions.preferredOutputLocation = Object.fromEntries(keep.map((name) => [name, 'gpu-buffer' as const]));
    }
    return ortOptions;
  }
}

/**
 * Registers `backend` with core, replacing an onnxruntime backend registered earlier under the
 * same name (calling a register function again means "use these settings now"); a foreign
 * backend under that name keeps the registry's own rules.
 */
export function registerOrtBackend(name: string, backend: OrtBackend, priority: number): void {
  if (backendRegistry.get(name) instanceof OrtBackend) backendRegistry.unregister(name);
  backendRegistry.register(name, backend, priority);
}
