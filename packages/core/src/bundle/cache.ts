/**
 * Download caches for remote bundles, keyed by URL and sha256 so a changed file is never served
 * from a stale entry. The loader re-verifies every hit before use.
 */
export interface DownloadCache {
  get(url: string, sha256: string): Promise<Uint8Array | undefined>;
  put(url: string, sha256: string, bytes: Uint8Array): Promise<void>;
  delete(url: string, sha256: string): Promise<void>;
}

function cacheRequestUrl(url: string, sha256: string): string {
  // Cache API keys are request URLs (fragments ignored), so the hash goes into the query.
  return `${url}${url.includes('?') ? '&' : '?'}samclip-sha256=${sha256}`;
}

/** The browser Cache API (`caches`), under one named cache. */
export function cacheApiDownloadCache(cacheName = 'samclip'): DownloadCache {
  const open = (): Promise<Cache> => (globalThis as unknown as { caches: CacheStorage }).caches.open(cacheName);
  return {
    async get(url, sha256) {
      const response = await (await open()).match(cacheRequestUrl(url, sha256));
      return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
    async put(url, sha256, bytes) {
      const body = new Blob([bytes as Uint8Array<ArrayBuffer>]);
      await (await open()).put(cacheRequestUrl(url, sha256), new Response(body, { headers: { 'content-length': String(bytes.byteLength) } }));
    },
    async delete(url, sha256) {
      await (await open()).delete(cacheRequestUrl(url, sha256));
    },
  };
}

/** The Cache API where the platform has one (browsers, workers); none elsewhere (use the file cache in Node). */
export function defaultDownloadCache(): DownloadCache | undefined {
  return typeof (globalThis as { caches?: unknown }).caches === 'object' ? cacheApiDownloadCache() : undefined;
}
