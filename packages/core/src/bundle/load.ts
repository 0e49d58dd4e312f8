import { SamClipError } from '../errors.js';
import { Bundle } from './bundle.js';
import { defaultDownloadCache } from './cache.js';
import type { DownloadCache } from './cache.js';
import { MANIFEST_FILE, parseManifest } from './manifest.js';
import { isBundleSource, memorySource, urlSource } from './source.js';
import type { BundleSource, MemoryBundleFiles } from './source.js';

/** A bundle location: a URL (string or URL object), in-memory files, or any BundleSource (e.g. `nodeFileSource(dir)`). */
export type BundleLocation = string | URL | MemoryBundleFiles | BundleSource;

export interface LoadBundleOptions {
  /**
   * Download cache for remote files, keyed by URL + sha256 and re-verified on every hit. Default:
   * the Cache API where it exists (browsers); `false` disables caching.
   */
  cache?: DownloadCache | false;
  /** fetch for URL sources (defaults to globalThis.fetch). */
  fetch?: typeof fetch;
  /** Read and verify every file named by samclip.json before returning. */
  verify?: boolean;
  signal?: AbortSignal;
}

export function toBundleSource(location: BundleLocation, options: Pick<LoadBundleOptions, 'fetch'> = {}): BundleSource {
  if (typeof location === 'string' || location instanceof URL) return urlSource(location, options.fetch ? { fetch: options.fetch } : {});
  if (isBundleSource(location)) return location;
  if (typeof location === 'object' && location !== null && 'files' in location) return memorySource(location);
  throw new SamClipError('INVALID_ARGUMENT', 'loadBundle needs a URL, { files } or a BundleSource');
}

/**
 * Opens a bundle: reads and validates samclip.json (MANIFEST_INVALID / MANIFEST_VERSION) and returns
 * a Bundle whose reads are verified against the manifest. File paths are opened with
 * `loadBundleFromDirectory` from `@samclip/core/node`.
 */
export async function loadBundle(location: BundleLocation, options: LoadBundleOptions = {}): Promise<Bundle> {
  const source = toBundleSource(location, options);
  const manifestBytes = await source.read(MANIFEST_FILE, options.signal ? { signal: options.signal } : {});
  let manifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (error) {
    if (error instanceof SamClipError) {
      throw new SamClipError(error.code, `${error.message} [${source.describe()}]`, { ...error.details, bundle: source.describe() }, { cause: error });
    }
    throw error;
  }
  const cache = options.cache === false ? undefined : (options.cache ?? defaultDownloadCache());
  const bundle = new Bundle(manifest, source, cache ? { cache } : {});
  if (options.verify) await bundle.verifyAll(options.signal ? { signal: options.signal } : {});
  return bundle;
}
