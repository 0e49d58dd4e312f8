/**
 * Where bundle bytes come from. Browser-safe sources live here (memory, URL); the directory source
 * is Node-only and lives in bundle/node.ts (exported from `@samclip/core/node`).
 */
import { SamClipError } from '../errors.js';
import { assertBundlePath } from './paths.js';

export interface ReadOptions {
  signal?: AbortSignal;
}

export interface BundleSource {
  /** The bytes of the file at a bundle-relative path; NOT_FOUND or IO naming the file on failure. */
  read(path: string, options?: ReadOptions): Promise<Uint8Array>;
  /** Where the bundle is, for messages (`https://…/`, `/models/tiny`, `in-memory bundle`). */
  describe(): string;
  /** A stable download-cache key for a file (its absolute URL); absent for local sources, which need no cache. */
  cacheKey?(path: string): string;
  /**
   * Local file-system sources only: the absolute path of a bundle file with its size and sha256,
   * hashed by streaming (the file is not held in memory).
   */
  localFile?(path: string): Promise<{ file: string; bytes: number; sha256: string }>;
}

export interface MemoryBundleFiles {
  files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;
}

/** A bundle held as in-memory buffers, keyed by bundle-relative path (`samclip.json`, `graphs/…`). */
export function memorySource(input: MemoryBundleFiles): BundleSource {
  const files = input.files instanceof Map ? new Map(input.files) : new Map(Object.entries(input.files));
  return {
    describe: () => 'in-memory bundle',
    async read(path) {
      assertBundlePath(path);
      const bytes = files.get(path);
      if (!bytes) {
        const held = [...files.keys()];
        throw new SamClipError(
          'NOT_FOUND',
          `the in-memory bundle has no file "${path}" (it holds ${held.length} file${held.length === 1 ? '' : 's'}: ${held.slice(0, 8).join(', ')}${held.length > 8 ? ', …' : ''})`,
          { file: path },
        );
      }
      return bytes;
    },
  };
}

export interface UrlSourceOptions {
  /** The fetch to use (defaults to globalThis.fetch); lets apps add headers or auth. */
  fetch?: typeof fetch;
}

/** The directory URL of a bundle: the URL itself when it ends in `/`, its parent when it names samclip.json. */
export function bundleBaseUrl(location: string | URL): URL {
  let url: URL;
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    url = new URL(String(location), base);
  } catch {
    throw new SamClipError(
      'INVALID_ARGUMENT',
      `"${String(location)}" is not a URL; to open a bundle directory in Node use loadBundleFromDirectory from @samclip/core/node`,
      { location: String(location) },
    );
  }
  url.hash = '';
  url.search = '';
  if (url.pathname.endsWith('/samclip.json')) url.pathname = url.pathname.slice(0, -'samclip.json'.length);
  else if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** A bundle served over HTTP(S) under one URL prefix. HTTP errors throw IO naming the URL. */
export function urlSource(location: string | URL, options: UrlSourceOptions = {}): BundleSource {
  const base = bundleBaseUrl(location);
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (!fetchImpl) throw new SamClipError('UNSUPPORTED', 'fetch is not available here; pass options.fetch to load bundles from a URL');
  const resolve = (path: string): string => {
    assertBundlePath(path);
    return new URL(path, base).href;
  };
  return {
    describe: () => base.href,
    cacheKey: resolve,
    async read(path, readOptions = {}) {
      const url = resolve(path);
      let response: Response;
      try {
        response = await fetchImpl(url, readOptions.signal ? { signal: readOptions.signal } : {});
      } catch (error) {
        if (readOptions.signal?.aborted) throw new SamClipError('CANCELLED', `fetching ${url} was cancelled`, { url }, { cause: error });
        throw new SamClipError('IO', `could not fetch ${url}: ${(error as Error).message}`, { url, file: path }, { cause: error });
      }
      if (!response.ok) {
        throw new SamClipError('IO', `fetching ${url} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, {
          url,
          file: path,
          status: response.status,
        });
      }
      try {
        return new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        throw new SamClipError('IO', `reading the body of ${url} failed: ${(error as Error).message}`, { url, file: path }, { cause: error });
      }
    },
  };
}

export function isBundleSource(value: unknown): value is BundleSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BundleSource).read === 'function' &&
    typeof (value as BundleSource).describe === 'function'
  );
}
