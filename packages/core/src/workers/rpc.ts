/**
 * Calls into a worker and serves calls inside one, over any {@link MessageEndpoint}. The caller
 * side gets promises, progress callbacks and AbortSignal cancellation; the worker side gets an
 * AbortSignal per call and a way to report progress and to hand result buffers over without copies.
 */
import { SamClipError } from '../errors.js';
import type { MessageEndpoint, SerializedError, WorkerRequest, WorkerResponse } from './protocol.js';
import { cancelledError, collectTransferables, deserializeError, serializeError } from './protocol.js';

export interface CallOptions {
  /** Aborting rejects the call with SamClipError('CANCELLED') at once and asks the worker to stop. */
  signal?: AbortSignal;
  /** Receives what the worker's handler reports through `context.progress()`. */
  onProgress?: (progress: unknown) => void;
  /**
   * Buffers to move to the worker instead of copying them (they are detached here afterwards), or
   * `'auto'` for every buffer behind the typed arrays in `args`.
   */
  transfer?: readonly ArrayBuffer[] | 'auto';
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress: ((progress: unknown) => void) | undefined;
  /** Set once the caller was answered (cancelled): the worker's late reply is then only an acknowledgement. */
  settled: boolean;
  cleanup(): void;
}

function isResponse(message: unknown): message is WorkerResponse {
  return typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'number' && typeof (message as { kind?: unknown }).kind === 'string';
}

/** The parent's side of one worker. */
export class WorkerClient {
  readonly endpoint: MessageEndpoint;
  readonly #pending = new Map<number, PendingCall>();
  readonly #idleWaiters: Array<() => void> = [];
  readonly #unsubscribe: Array<() => void>;
  #nextId = 1;
  #closed = false;

  constructor(endpoint: MessageEndpoint) {
    this.endpoint = endpoint;
    this.#unsubscribe = [endpoint.onMessage((message) => this.#receive(message))];
    if (endpoint.onFailure) this.#unsubscribe.push(endpoint.onFailure((error) => this.#fail(error)));
  }

  /** True once the worker was terminated or died; a closed client answers every call with an error. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls the worker still owes an answer to, cancelled ones included until the worker acknowledges them. */
  get inFlight(): number {
    return this.#pending.size;
  }

  call<R = unknown>(method: string, args?: unknown, options: CallOptions = {}): Promise<R> {
    if (this.#closed) return Promise.reject(new SamClipError('DISPOSED', 'This worker was terminated; create a new one.', { method }));
    if (options.signal?.aborted) return Promise.reject(cancelledError(`The call to "${method}"`));
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      const onAbort = () => {
        const entry = this.#pending.get(id);
        if (!entry || entry.settled) return;
        entry.settled = true;
        entry.cleanup();
        this.endpoint.postMessage({ kind: 'cancel', id } satisfies WorkerRequest);
        reject(cancelledError(`The call to "${method}"`));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: options.onProgress,
        settled: false,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      const transfer = options.transfer === 'auto' ? collectTransferables(args) : options.transfer ? [...options.transfer] : [];
      try {
        this.endpoint.postMessage({ kind: 'call', id, method, args } satisfies WorkerRequest, transfer);
      } catch (error) {
        this.#pending.delete(id);
        options.signal?.removeEventListener('abort', onAbort);
        reject(new SamClipError('INVALID_ARGUMENT', `The arguments of "${method}" cannot be sent to a worker: ${error instanceof Error ? error.message : String(error)}`, { method }, { cause: error }));
      }
    });
  }

  /** Resolves once no call is in flight (the worker answered or acknowledged every one). */
  whenIdle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops the worker; calls still in flight fail with CANCELLED. */
  async terminate(): Promise<void> {
    if (this.#closed) return;
    this.#close(() => cancelledError('A call to a terminated worker'));
    await this.endpoint.terminate?.();
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#close(() => new SamClipError('SESSION', `The worker stopped: ${error.message}`, {}, { cause: error }));
  }

  #close(reason: () => Error): void {
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const [id, entry] of this.#pending) {
      this.#pending.delete(id);
      if (!entry.settled) {
        entry.cleanup();
        entry.reject(reason());
      }
    }
    this.#drained();
  }

  #receive(message: unknown): void {
    if (!isResponse(message)) return;
    const entry = this.#pending.get(message.id);
    if (!entry) return;
    if (message.kind === 'progress') {
      if (!entry.settled) entry.onProgress?.(message.progress);
      return;
    }
    this.#pending.delete(message.id);
    if (!entry.settled) {
      entry.cleanup();
      if (message.kind === 'result') entry.resolve(message.value);
      else entry.reject(deserializeError(message.error));
    }
    this.#drained();
  }

  #drained(): void {
    if (this.#pending.size > 0) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }
}

export interface HandlerContext {
  /** Aborted when the caller cancels; long handlers check it between steps. */
  signal: AbortSignal;
  /** Sends a progress report to the caller (structured-cloneable). */
  progress(progress: unknown): void;
  /** Moves these buffers of the result to the caller instead of copying them. */
  transfer(...buffers: ArrayBuffer[]): void;
}

export type WorkerHandler = (args: never, context: HandlerContext) => unknown;
export type WorkerHandlers = Readonly<Record<string, WorkerHandler>>;

/** Serves `handlers` on the worker's side of `endpoint`; returns a function that stops serving. */
export function exposeHandlers(endpoint: MessageEndpoint, handlers: WorkerHandlers): () => void {
  const running = new Map<number, AbortController>();
  const reply = (response: WorkerResponse, transfer: ArrayBuffer[] = []) => {
    try {
      endpoint.postMessage(response, transfer);
    } catch (error) {
      // A result that cannot be cloned (a function, a class instance with private state) becomes an error.
      const failure: SerializedError = serializeError(new SamClipError('INVALID_ARGUMENT', `The worker's answer cannot be sent back: ${error instanceof Error ? error.message : String(error)}`, {}));
      endpoint.postMessage({ kind: 'error', id: response.id, error: failure } satisfies WorkerResponse);
    }
  };
  const handle = async (request: Extract<WorkerRequest, { kind: 'call' }>) => {
    const controller = new AbortController();
    running.set(request.id, controller);
    const transfer: ArrayBuffer[] = [];
    const context: HandlerContext = {
      signal: controller.signal,
      progress: (progress) => {
        if (!controller.signal.aborted) endpoint.postMessage({ kind: 'progress', id: request.id, progress } satisfies WorkerResponse);
      },
      transfer: (...buffers) => transfer.push(...buffers),
    };
    try {
      const handler = Object.hasOwn(handlers, request.method) ? handlers[request.method] : undefined;
      if (!handler) {
        throw new SamClipError('NOT_FOUND', `The worker has no method "${request.method}"; it serves ${Object.keys(handlers).join(', ') || 'nothing'}.`, { method: request.method });
      }
      const value = await handler(request.args as never, context);
      reply({ kind: 'result', id: request.id, value }, transfer);
    } catch (error) {
      reply({ kind: 'error', id: request.id, error: serializeError(controller.signal.aborted ? cancelledError(`The call to "${request.method}"`) : error) });
    } finally {
      running.delete(request.id);
    }
  };
  return endpoint.onMessage((message) => {
    const request = message as WorkerRequest;
    if (typeof request !== 'object' || request === null || typeof request.id !== 'number') return;
    if (request.kind === 'call') void handle(request);
    else if (request.kind === 'cancel') running.get(request.id)?.abort(cancelledError('The call'));
  });
}
