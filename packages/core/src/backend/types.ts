/**
 * The backend contract, modelled on onnxruntime-common: engines register under a name with a
 * priority; core never imports an engine. Tensors crossing this boundary are core `Tensor`s
 * (or engine-resident handles, see `DeviceTensor`), so no engine owns the types apps see.
 */
import type { DType, Tensor } from '../graph/types.js';

/** A tensor that stays on the engine (GPU buffer, tfjs tensor) between runs. */
export interface DeviceTensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly location: 'device';
  /** Copies the data to the CPU. */
  download(): Promise<Tensor>;
  dispose(): void;
}

export type SessionValue = Tensor | DeviceTensor;
export type Feeds = Record<string, SessionValue>;
export type Fetches = Record<string, SessionValue>;

export interface SessionOptions {
  /** Outputs to keep on the device (when the backend can); others come back as CPU tensors. */
  keepOnDevice?: readonly string[];
  /** Intra-op threads (CPU/WASM engines). */
  threads?: number;
  /**
   * Keep the engine's working buffers between runs, for a small graph run many times (a prompt
   * per click): later runs then skip allocating, and faulting in, fresh memory. The buffers stay
   * held until the session is disposed (see `InferenceSession.holdsBuffers`). Engines without
   * such a pool ignore it.
   */
  reuseBuffers?: boolean;
  /**
   * Whether the engine's worker threads may keep spinning (busy-waiting for work) after a run
   * returns, as they do by default. `false` stops them as each run returns, so they take no CPU
   * from what runs next: for a graph run once per image, whose result another graph then uses (an
   * image encoder; on a 2-core CPU its spinning threads slowed the next click by 15–30 ms). Spinning
   * within a run is unchanged. Engines without per-session worker threads ignore it.
   */
  spinAfterRun?: boolean;
  /**
   * Whether the engine may lay out a run's working buffers ahead of time as one block sized for the
   * whole run (onnxruntime's memory pattern), as it does by default: fewer allocations, but from the
   * second run on the block holds the plan's peak, padding included, for the entire run. `false`
   * allocates each buffer when it is first written and frees it after its last read: a lower peak for
   * a large graph run once per image (a ViT-B encode on onnxruntime-node: about 30 MB lower from the
   * second image on, in the same time). Engines without such plans ignore it.
   */
  planBuffers?: boolean;
  /** Engine-specific settings, passed through untouched (an engine setting for the same thing wins over `reuseBuffers`). */
  extra?: Record<string, unknown>;
  /** Resolves external-data locations named by the model to their bytes. */
  externalData?: ReadonlyMap<string, Uint8Array>;
}

export interface ValueMetadata {
  name: string;
  dtype?: DType;
  dims?: ReadonlyArray<number | string | null>;
}

export interface InferenceSession {
  readonly inputs: readonly ValueMetadata[];
  readonly outputs: readonly ValueMetadata[];
  /**
   * True when the session keeps working buffers in host memory between runs (`reuseBuffers`
   * honoured), which only disposing it gives back.
   */
  readonly holdsBuffers?: boolean;
  /** Runs the graph; `outputNames` limits what is fetched (all outputs by default). */
  run(feeds: Feeds, outputNames?: readonly string[]): Promise<Fetches>;
  dispose(): Promise<void>;
}

export interface Backend {
  /** Called once before the first session; may load wasm or pick an adapter. */
  init(): Promise<void>;
  /** Whether this engine can run here at all (no throw). A string explains a `false`. */
  isSupported(): Promise<boolean | { supported: false; reason: string }>;
  /** Operator types (domain-qualified as `domain::Op` for non-default domains) this backend can run; undefined = not known ahead. */
  supportedOps?(): ReadonlySet<string> | undefined;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<InferenceSession>;
  /**
   * Optional (engines that read files themselves, e.g. onnxruntime-node): a session from an ONNX file
   * on the local file system, external data resolved beside it. Saves holding the model's bytes in
   * JavaScript while the engine builds its own copy of the weights.
   */
  createSessionFromFile?(file: string, options?: SessionOptions): Promise<InferenceSession>;
  dispose?(): Promise<void>;
}
