/**
 * A pool of workers for long runs (folders of images, segment-everything): tasks queue up and go
 * to the first idle worker; `map` reports progress and cancels through an AbortSignal. A cancelled
 * call always answers at once. A cancelled worker that does not stop within `cancelGraceMs` (an
 * engine inside a long native run cannot look at its signal) is shut down and replaced, unless the
 * grace is `Infinity`: then it finishes what it runs and serves the next call. Workers that hold a
 * native engine need a `shutdownMethod`, which the pool calls before terminating one: terminating a
 * worker thread that still holds onnxruntime-node sessions aborts the whole process.
 */
import { SamClipError } from '../errors.js';
import type { MessageEndpoint } from './protocol.js';
import { cancelledError } from './protocol.js';
import type { CallOptions } from './rpc.js';
import { WorkerClient } from './rpc.js';

export interface WorkerPoolOptions {
  /** Workers at most (created on demand). */
  size: number;
  /** Starts one worker. */
  create: () => MessageEndpoint;
  /**
   * How long a cancelled worker may take to stop before it is terminated (default 250 ms). `Infinity`
   * never terminates one: it finishes its current run, sees its signal, and serves the next call.
   */
  cancelGraceMs?: number;
  /**
   * A method every worker serves that releases what it holds (engine sessions). `dispose()` calls it
   * on each worker, waiting up to `shutdownTimeoutMs` (default 30 s), before terminating them.
   */
  shutdownMethod?: string;
  shutdownTimeoutMs?: number;
}

export interface PoolProgress {
  /** Items finished so far. */
  done: number;
  total: number;
  /** Items being worked on now. */
  running: number;
  /** The item this report is about, and what its worker reported (absent when an item finished). */
  index: number;
  detail?: unknown;
}

export interface MapOptions<T> {
  signal?: AbortSignal;
  onProgress?: (progress: PoolProgress) => void;
  /** The arguments sent for an item (default: the item itself). */
  argsOf?: (item: T, index: number) => unknown;
  /** Transfer each item's buffers to its worker (`'auto'`) instead of copying them. */
  transfer?: 'auto';
}

interface QueuedTask {
  method: string;
  args: unknown;
  options: CallOptions;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  detach(): void;
  /** Called when a worker takes the task. */
  onStart?(): void;
}

const DEFAULT_CANCEL_GRACE_MS = 250;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/** Resolves after `ms`, or never for Infinity; `cancel` drops the timer. */
function delay(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<void>((resolve) => {
    if (Number.isFinite(ms)) timer = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}

function checkMs(name: string, value: number | undefined, allowInfinity: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new SamClipError('INVALID_ARGUMENT', `A worker pool's ${name} must be a non-negative number of milliseconds${allowInfinity ? ' (or Infinity)' : ''}, got ${value}.`, { [name]: value });
  }
}

export class WorkerPool {
  readonly size: number;
  readonly #create: () => MessageEndpoint;
  readonly #graceMs: number;
  readonly #shutdownMethod: string | undefined;
  readonly #shutdownTimeoutMs: number;
  readonly #idle: WorkerClient[] = [];
  readonly #all = new Set<WorkerClient>();
  readonly #queue: QueuedTask[] = [];
  #disposed = false;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new SamClipError('INVALID_ARGUMENT', `A worker pool needs a size of at least 1, got ${options.size}.`, { size: options.size });
    }
    this.size = options.size;
    this.#create = options.create;
    checkMs('cancelGraceMs', options.cancelGraceMs, true);
    checkMs('shutdownTimeoutMs', options.shutdownTimeoutMs, false);
    this.#graceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
    this.#shutdownMethod = options.shutdownMethod;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  }

  /** Workers started and alive. */
  get workers(): number {
    return this.#all.size;
  }

  /** Runs one call on the next idle worker. */
  run<R = unknown>(method: string, args?: unknown, options: CallOptions = {}): Promise<R> {
    return this.#enqueue<R>(method, args, options);
  }

  #enqueue<R>(method: string, args: unknown, options: CallOptions, onStart?: () => void): Promise<R> {
    if (this.#disposed) return Promise.reject(new SamClipError('DISPOSED', 'This worker pool was disposed; create a new one.', { method }));
    if (options.signal?.aborted) return Promise.reject(cancelledError(`The call to "${method}"`));
    return new Promise<R>((resolve, reject) => {
      const onAbort = () => {
        const at = this.#queue.indexOf(task);
        if (at >= 0) {
          this.#queue.splice(at, 1);
          reject(cancelledError(`The queued call to "${method}"`));
        }
      };
      const task: QueuedTask = {
        method,
        args,
        options,
        resolve: resolve as (value: unknown) => void,
        reject,
        detach: () => options.signal?.removeEventListener('abort', onAbort),
        ...(onStart ? { onStart } : {}),
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(task);
      this.#dispatch();
    });
  }

  /**
   * Runs `method` once per item on the pool and returns the results in item order. The first
   * failure cancels the rest; aborting `signal` rejects with SamClipError('CANCELLED').
   */
  async map<T, R = unknown>(method: string, items: readonly T[], options: MapOptions<T> = {}): Promise<R[]> {
    const controller = new AbortController();
    const forward = () => controller.abort();
    if (options.signal?.aborted) throw cancelledError(`"${method}" over ${items.length} items`);
    options.signal?.addEventListener('abort', forward, { once: true });
    let done = 0;
    let running = 0;
    const report = (index: number, detail?: unknown) => options.onProgress?.({ done, total: items.length, running, index, ...(detail === undefined ? {} : { detail }) });
    try {
      return await Promise.all(
        items.map(async (item, index) => {
          const args = options.argsOf ? options.argsOf(item, index) : item;
          let started = false;
          try {
            const result = await this.#enqueue<R>(
              method,
              args,
              { signal: controller.signal, onProgress: (detail) => report(index, detail), ...(options.transfer ? { transfer: options.transfer } : {}) },
              () => {
                started = true;
                running++;
              },
            );
            running--;
            done++;
            report(index);
            return result;
          } catch (error) {
            if (started) running--;
            controller.abort();
            throw error;
          }
        }),
      );
    } catch (error) {
      if (options.signal?.aborted) throw cancelledError(`"${method}" over ${items.length} items`);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', forward);
    }
  }

  /**
   * Terminates every worker, after its `shutdownMethod` (if any) has answered or timed out; queued and
   * running calls fail with CANCELLED.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const task of this.#queue.splice(0)) {
      task.detach();
      task.reject(cancelledError(`The queued call to "${task.method}"`));
    }
    const workers = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(workers.map((worker) => this.#shutDown(worker)));
  }

  async #shutDown(worker: WorkerClient): Promise<void> {
    const method = this.#shutdownMethod;
    if (method !== undefined && !worker.closed) {
      // A worker busy in a native run answers once the run returns; its failure to clean up is not the caller's.
      const timeout = delay(this.#shutdownTimeoutMs);
      await Promise.race([worker.call(method).catch(() => undefined), timeout.done]);
      timeout.cancel();
    }
    await worker.terminate();
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#disposed) {
      const worker = this.#idle.pop() ?? (this.#all.size < this.size ? this.#start() : undefined);
      if (!worker) return;
      const task = this.#queue.shift()!;
      task.detach();
      task.onStart?.();
      void this.#execute(worker, task);
    }
  }

  #start(): WorkerClient {
    const worker = new WorkerClient(this.#create());
    this.#all.add(worker);
    return worker;
  }

  async #execute(worker: WorkerClient, task: QueuedTask): Promise<void> {
    try {
      task.resolve(await worker.call(task.method, task.args, task.options));
    } catch (error) {
      task.reject(error);
      if (task.options.signal?.aborted) await this.#reclaim(worker);
      else this.#release(worker);
      return;
    }
    this.#release(worker);
  }

  /** After a cancelled call: keep the worker if it stops in time, else shut it down (#shutDown) and let the queue start another. */
  async #reclaim(worker: WorkerClient): Promise<void> {
    const grace = delay(this.#graceMs);
    const stopped = await Promise.race([worker.whenIdle().then(() => true), grace.done.then(() => false)]);
    grace.cancel();
    if (stopped) {
      this.#release(worker);
      return;
    }
    // Still counted until it is gone, so its replacement does not hold a second engine meanwhile.
    await this.#shutDown(worker);
    this.#all.delete(worker);
    this.#dispatch();
  }

  #release(worker: WorkerClient): void {
    if (worker.closed) {
      // A worker that died is replaced by the next dispatch.
      this.#all.delete(worker);
      this.#dispatch();
      return;
    }
    if (this.#disposed || !this.#all.has(worker)) return;
    this.#idle.push(worker);
    this.#dispatch();
  }
}
