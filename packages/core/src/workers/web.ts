/**
 * Browser side: inference in Web Workers, never on the main thread. `webWorkerEndpoint` wraps a
 * Worker for {@link WorkerClient} / {@link WorkerPool}; inside the worker script,
 * `exposeWebWorker(handlers)` serves calls. Tensors cross as transferred ArrayBuffers (pass
 * `transfer: 'auto'` on calls, `context.transfer(buffer)` in handlers), so a 4 MB embedding or a
 * 1024² image moves without a copy.
 */
import type { MessageEndpoint } from './protocol.js';
import { WorkerPool } from './pool.js';
import type { WorkerHandlers } from './rpc.js';
import { exposeHandlers } from './rpc.js';

/** The parts of a Web Worker (or a MessagePort) the wrapper needs. */
export interface WebWorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  removeEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate?(): void;
  start?(): void;
}

export function webWorkerEndpoint(worker: WebWorkerLike): MessageEndpoint {
  const endpoint: MessageEndpoint = {
    postMessage: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (listener) => {
      const handler = (event: MessageEvent) => listener(event.data);
      worker.addEventListener('message', handler);
      worker.start?.();
      return () => worker.removeEventListener('message', handler);
    },
    onFailure: (listener) => {
      const handler = (event: ErrorEvent) => listener(new Error(event.message || 'the worker script failed'));
      worker.addEventListener('error', handler);
      return () => worker.removeEventListener('error', handler);
    },
  };
  if (worker.terminate) endpoint.terminate = () => worker.terminate!();
  return endpoint;
}

/** Serves `handlers` inside a Web Worker (its global scope by default); returns a function that stops serving. */
export function exposeWebWorker(handlers: WorkerHandlers, scope: WebWorkerLike = globalThis as unknown as WebWorkerLike): () => void {
  return exposeHandlers(webWorkerEndpoint({ ...bindScope(scope), terminate: undefined }), handlers);
}

function bindScope(scope: WebWorkerLike): WebWorkerLike {
  return {
    postMessage: (message, transfer) => scope.postMessage(message, transfer),
    addEventListener: (type: 'message' | 'error', listener: never) => scope.addEventListener(type as 'message', listener),
    removeEventListener: (type: 'message' | 'error', listener: never) => scope.removeEventListener(type as 'message', listener),
    ...(scope.start ? { start: () => scope.start!() } : {}),
  };
}

export interface WebWorkerPoolOptions {
  /** Starts one worker, e.g. `() => new Worker(new URL('./samclip.worker.js', import.meta.url), { type: 'module' })`. */
  create: () => WebWorkerLike;
  /** Default: `navigator.hardwareConcurrency` (at least 1). */
  size?: number;
  cancelGraceMs?: number;
}

/** A {@link WorkerPool} of Web Workers, sized to the device's cores by default. */
export function createWebWorkerPool(options: WebWorkerPoolOptions): WorkerPool {
  const cores = typeof navigator === 'object' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
  return new WorkerPool({
    size: options.size ?? cores,
    create: () => webWorkerEndpoint(options.create()),
    ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
  });
}
