/**
 * The backend registry, modelled on onnxruntime-common: engines register under a name with a
 * priority; `auto` picks the highest-priority backend that is supported here and initialises,
 * recording why each one before it was passed over. init() runs once per backend; a failure is
 * remembered with its reason so later resolutions do not retry a broken engine.
 */
import { SamClipError } from '../errors.js';
import type { Backend } from './types.js';

export interface BackendInfo {
  name: string;
  priority: number;
}

export interface BackendFallback {
  name: string;
  reason: string;
}

export interface ResolvedBackend {
  name: string;
  backend: Backend;
  /** Backends tried before this one (higher priority or earlier in the list), with why each was skipped. */
  fallbacks: BackendFallback[];
}

export interface ResolveBackendOptions {
  /** Names `auto` must not pick (for example to compare against a second engine). */
  exclude?: readonly string[];
}

export interface BackendStatus extends BackendInfo {
  supported: boolean;
  /** Why the backend cannot run here (when `supported` is false). */
  reason?: string;
}

interface Entry {
  name: string;
  backend: Backend;
  priority: number;
  order: number;
  init?: Promise<string | undefined>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class BackendRegistry {
  readonly #entries = new Map<string, Entry>();
  #order = 0;

  /**
   * Registers `backend` under `name`. Registering the same backend again updates its priority; a
   * different backend replaces an existing one only with a higher priority (a lower one is ignored,
   * an equal one is an error), as in onnxruntime-common.
   */
  register(name: string, backend: Backend, priority = 0): void {
    if (!name || !/^[a-z0-9][a-z0-9._-]*$/i.test(name) || name === 'auto') {
      throw new SamClipError('INVALID_ARGUMENT', `"${name}" cannot name a backend: use letters, digits, ".", "_" or "-" (and not "auto")`);
    }
    if (!Number.isFinite(priority)) throw new SamClipError('INVALID_ARGUMENT', `backend "${name}" priority must be a finite number`);
    const existing = this.#entries.get(name);
    if (existing) {
      if (existing.backend === backend) {
        existing.priority = priority;
        return;
      }
      if (existing.priority > priority) return;
      if (existing.priority === priority) {
        throw new SamClipError('INVALID_ARGUMENT', `another backend is already registered as "${name}" with priority ${priority}; register with a higher priority to replace it`);
      }
    }
    this.#entries.set(name, { name, backend, priority, order: existing?.order ?? this.#order++ });
  }

  /** Removes a backend (mostly for tests and apps that swap engines). */
  unregister(name: string): boolean {
    return this.#entries.delete(name);
  }

  #sorted(): Entry[] {
    return [...this.#entries.values()].sort((a, b) => b.priority - a.priority || a.order - b.order);
  }

  /** Registered backends, highest priority first. */
  list(): BackendInfo[] {
    return this.#sorted().map(({ name, priority }) => ({ name, priority }));
  }

  get(name: string): Backend | undefined {
    return this.#entries.get(name)?.backend;
  }

  async #support(entry: Entry): Promise<string | undefined> {
    try {
      const result = await entry.backend.isSupported();
      if (result === true) return undefined;
      if (result === false) return 'not supported in this environment';
      return result.reason;
    } catch (error) {
      return `isSupported() failed: ${messageOf(error)}`;
    }
  }

  /** Resolves to undefined when ready, or the reason init() failed (memoised either way). */
  #init(entry: Entry): Promise<string | undefined> {
    // Through a promise chain so that an init() that throws synchronously is caught like a rejection.
    entry.init ??= Promise.resolve()
      .then(() => entry.backend.init())
      .then(
      () => undefined,
      (error: unknown) => `init() failed: ${messageOf(error)}`,
    );
    return entry.init;
  }

  /** Every registered backend with whether it can run here (isSupported only; init is not attempted). */
  async status(): Promise<BackendStatus[]> {
    return Promise.all(
      this.#sorted().map(async (entry) => {
        const reason = await this.#support(entry);
        return reason === undefined
          ? { name: entry.name, priority: entry.priority, supported: true }
          : { name: entry.name, priority: entry.priority, supported: false, reason };
      }),
    );
  }

  async #availableList(): Promise<string> {
    const names = (await this.status()).filter((s) => s.supported).map((s) => s.name);
    return names.length > 0 ? names.join(', ') : 'none';
  }

  /**
   * Picks a backend: `auto` (highest priority that is supported and initialises), one name, or an
   * ordered list of names tried in turn. BACKEND_UNAVAILABLE (listing the available backends) when
   * nothing fits.
   */
  async resolve(request: string | readonly string[] = 'auto', options: ResolveBackendOptions = {}): Promise<ResolvedBackend> {
    const exclude = new Set(options.exclude ?? []);
    const fallbacks: BackendFallback[] = [];
    let candidates: Entry[];
    if (request === 'auto') {
      candidates = this.#sorted().filter((entry) => !exclude.has(entry.name));
    } else {
      const names = typeof request === 'string' ? [request] : [...request];
      if (names.length === 0) throw new SamClipError('INVALID_ARGUMENT', 'resolveBackend needs a backend name, a list of names or "auto"');
      candidates = [];
      for (const name of names) {
        const entry = name === 'auto' ? undefined : this.#entries.get(name);
        if (entry && !exclude.has(name)) candidates.push(entry);
        else fallbacks.push({ name, reason: entry ? 'excluded' : 'not registered' });
      }
    }
    for (const entry of candidates) {
      const unsupported = await this.#support(entry);
      if (unsupported !== undefined) {
        fallbacks.push({ name: entry.name, reason: unsupported });
        continue;
      }
      const failed = await this.#init(entry);
      if (failed !== undefined) {
        fallbacks.push({ name: entry.name, reason: failed });
        continue;
      }
      return { name: entry.name, backend: entry.backend, fallbacks };
    }
    const wanted = request === 'auto' ? 'no registered backend can run here' : `backend ${typeof request === 'string' ? `"${request}"` : `${request.map((n) => `"${n}"`).join(' or ')}`} is unavailable`;
    const why = fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ');
    throw new SamClipError(
      'BACKEND_UNAVAILABLE',
      `${wanted}${why ? ` (${why})` : ''}; available backends: ${await this.#availableList()}`,
      { request, fallbacks },
    );
  }
}

/** The process-wide registry backends register into when their package is imported and its register function called. */
export const backendRegistry = new BackendRegistry();

export function registerBackend(name: string, backend: Backend, priority = 0): void {
  backendRegistry.register(name, backend, priority);
}

export function listBackends(): BackendInfo[] {
  return backendRegistry.list();
}

export function resolveBackend(request: string | readonly string[] = 'auto', options: ResolveBackendOptions = {}): Promise<ResolvedBackend> {
  return backendRegistry.resolve(request, options);
}
