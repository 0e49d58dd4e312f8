/**
 * Node side: a pool of worker_threads for long runs (a folder of images, segment-everything), sized
 * to the machine's cores and, when asked, to its free memory (each worker holds its own sessions:
 * a ViT-B encoder needs about 1.5 GB). Each worker is told how many engine threads it may use so
 * that workers × threads stays at the core count. Inside the worker script,
 * `exposeNodeWorker(handlers)` serves calls; `workerThreads()` reads its thread share.
 */
import { availableParallelism, freemem } from 'node:os';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { MessagePort, WorkerOptions } from 'node:worker_threads';
import { SamClipError } from '../errors.js';
import type { MessageEndpoint } from './protocol.js';
import { WorkerPool } from './pool.js';
import type { WorkerHandlers } from './rpc.js';
import { exposeHandlers } from './rpc.js';

/** Wraps a worker_threads Worker (parent side) or a MessagePort (worker side). */
export function nodeWorkerEndpoint(target: Worker | MessagePort): MessageEndpoint {
  const endpoint: MessageEndpoint = {
    postMessage: (message, transfer = []) => target.postMessage(message, transfer),
    onMessage: (listener) => {
      target.on('message', listener);
      return () => target.off('message', listener);
    },
  };
  if (target instanceof Worker) {
    endpoint.terminate = () => target.terminate();
    endpoint.onFailure = (listener) => {
      const onError = (error: Error) => listener(error);
      const onExit = (code: number) => listener(new Error(`the worker exited with code ${code}`));
      target.on('error', onError);
      target.on('exit', onExit);
      return () => {
        target.off('error', onError);
        target.off('exit', onExit);
      };
    };
  }
  return endpoint;
}

/** Serves `handlers` in this worker thread; returns a function that stops serving (letting the thread exit). */
export function exposeNodeWorker(handlers: WorkerHandlers): () => void {
  const port = parentPort;
  if (!port) throw new SamClipError('INVALID_ARGUMENT', 'exposeNodeWorker() must run inside a worker thread (new Worker(script)), not on the main thread.', {});
  const stop = exposeHandlers(nodeWorkerEndpoint(port), handlers);
  return () => {
    stop();
    port.close();
  };
}

/** The engine threads this worker may use (set by createNodeWorkerPool; 0 lets the engine choose). */
export function workerThreads(): number {
  const threads = (workerData as { samclipThreads?: unknown } | null)?.samclipThreads;
  return typeof threads === 'number' && threads > 0 ? threads : 0;
}

export interface NodeWorkerPoolOptions {
  /** Workers at most; default: the machine's cores, capped by `memoryPerWorker`. */
  size?: number;
  /** Bytes one worker needs; the default size is capped at free memory / this. */
  memoryPerWorker?: number;
  /** Passed to each worker (`workerData`), with `samclipThreads` added. */
  workerData?: Record<string, unknown>;
  /** Other worker_threads options (execArgv, resourceLimits, env…). */
  workerOptions?: Omit<WorkerOptions, 'workerData'>;
  cancelGraceMs?: number;
  /**
   * A method each worker serves that releases its engine sessions (see WorkerPoolOptions). Set it when
   * the workers run onnxruntime-node: terminating a worker thread that still holds its sessions aborts
   * the whole process.
   */
  shutdownMethod?: string;
  shutdownTimeoutMs?: number;
}

/** Default pool size: one worker per core, no more than free memory holds when `memoryPerWorker` is given. */
export function defaultPoolSize(memoryPerWorker?: number): number {
  const cores = availableParallelism();
  if (memoryPerWorker === undefined || memoryPerWorker <= 0) return cores;
  return Math.max(1, Math.min(cores, Math.floor(freemem() / memoryPerWorker)));
}

/** A {@link WorkerPool} of worker_threads running `script` (a path or file URL of an ES module or CommonJS file). */
export function createNodeWorkerPool(script: string | URL, options: NodeWorkerPoolOptions = {}): WorkerPool {
  const size = options.size ?? defaultPoolSize(options.memoryPerWorker);
  const threads = Math.max(1, Math.floor(availableParallelism() / size));
  return new WorkerPool({
    size,
    create: () => nodeWorkerEndpoint(new Worker(script, { ...options.workerOptions, workerData: { ...options.workerData, samclipThreads: threads } })),
    ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
    ...(options.shutdownMethod === undefined ? {} : { shutdownMethod: options.shutdownMethod }),
    ...(options.shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs: options.shutdownTimeoutMs }),
  });
}
