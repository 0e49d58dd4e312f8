/**
 * The message protocol between a thread that asks for work and a worker that does it (Node
 * worker_threads or browser Web Workers): calls, cancellations, progress, results and errors, with
 * SamClipErrors carried across the thread boundary and typed-array buffers handed over (transferred)
 * instead of copied.
 */
import { SamClipError } from '../errors.js';
import type { SamClipErrorCode } from '../errors.js';

export type WorkerRequest = { kind: 'call'; id: number; method: string; args: unknown } | { kind: 'cancel'; id: number };

export type WorkerResponse =
  | { kind: 'progress'; id: number; progress: unknown }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: SamClipErrorCode;
  details?: Record<string, unknown>;
  stack?: string;
}

/**
 * One end of a message channel: a Worker seen from its parent, or the worker's own scope.
 * `transfer` lists buffers that move to the other side (they are detached here).
 */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Subscribes to incoming messages; returns the unsubscribe function. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Stops the worker at once, even inside a long synchronous computation (parent side only). */
  terminate?(): void | Promise<unknown>;
  /** Subscribes to the worker dying (an uncaught error, an exit); parent side only. */
  onFailure?(listener: (error: Error) => void): () => void;
}

/** Details that survive structured cloning: JSON-safe values only. */
function cloneableDetails(details: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof SamClipError) {
    const details = cloneableDetails(error.details);
    return { name: error.name, message: error.message, code: error.code, ...(details ? { details } : {}), ...(error.stack ? { stack: error.stack } : {}) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds the error a worker threw: a SamClipError with its code when it was one. */
export function deserializeError(serialized: SerializedError): Error {
  let error: Error;
  if (serialized.code) error = new SamClipError(serialized.code, serialized.message, serialized.details ?? {});
  else {
    error = new Error(serialized.message);
    error.name = serialized.name;
  }
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

/**
 * Every distinct ArrayBuffer behind the typed arrays (and bare ArrayBuffers) in `value`, walking
 * plain objects and arrays: what to transfer so a tensor crosses threads without a copy.
 * SharedArrayBuffers are skipped (they are shared, not moved).
 */
export function collectTransferables(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof ArrayBuffer) {
      found.add(v);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer);
      return;
    }
    if (Array.isArray(v)) {
      for (const item of v) visit(item);
      return;
    }
    const prototype = Object.getPrototypeOf(v) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return;
    for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return [...found];
}

export function cancelledError(what: string): SamClipError {
  return new SamClipError('CANCELLED', `${what} was cancelled.`, {});
}
