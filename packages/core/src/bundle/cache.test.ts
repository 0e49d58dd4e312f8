import { afterEach, describe, expect, it } from 'vitest';
import { cacheApiDownloadCache, defaultDownloadCache } from './cache.js';
import { loadBundle } from './load.js';
import { buildTestBundle, bundleFiles } from './test-utils/build-bundle.js';

/** The slice of the Cache API the download cache uses, held in a Map (Node has no `caches`). */
function fakeCacheStorage(): { storage: CacheStorage; entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  const cache = {
    async match(url: string) {
      const bytes = entries.get(url);
      return bytes ? new Response(new Blob([bytes as Uint8Array<ArrayBuffer>])) : undefined;
    },
    async put(url: string, response: Response) {
      entries.set(url, new Uint8Array(await response.arrayBuffer()));
    },
    async delete(url: string) {
      return entries.delete(url);
    },
  };
  return { storage: { open: async () => cache } as unknown as CacheStorage, entries };
}

describe('Cache API download cache', () => {
  afterEach(() => {
    delete (globalThis as { caches?: unknown }).caches;
  });

  it('stores entries under the URL with the sha256 in the query', async () => {
    const { storage, entries } = fakeCacheStorage();
    (globalThis as { caches?: unknown }).caches = storage;
    const cache = cacheApiDownloadCache();
    await cache.put('https://models.example/tiny/a.onnx', 'ab'.repeat(32), new Uint8Array([1, 2, 3]));
    expect([...entries.keys()]).toEqual([`https://models.example/tiny/a.onnx?samclip-sha256=${'ab'.repeat(32)}`]);
    expect(await cache.get('https://models.example/tiny/a.onnx', 'ab'.repeat(32))).toEqual(new Uint8Array([1, 2, 3]));
    expect(await cache.get('https://models.example/tiny/a.onnx', 'cd'.repeat(32))).toBeUndefined();
    await cache.delete('https://models.example/tiny/a.onnx', 'ab'.repeat(32));
    expect(entries.size).toBe(0);
  });

  it('is the default where `caches` exists, and serves verified hits without fetching', async () => {
    expect(defaultDownloadCache()).toBeUndefined();
    const { storage, entries } = fakeCacheStorage();
    (globalThis as { caches?: unknown }).caches = storage;
    expect(defaultDownloadCache()).toBeDefined();
    const files = bundleFiles(await buildTestBundle('sam'));
    const fetched: string[] = [];
    const fakeFetch = (async (url: string) => {
      fetched.push(url);
      const bytes = files.get(url.replace('https://models.example/sam/', ''));
      return bytes ? new Response(new Blob([bytes as Uint8Array<ArrayBuffer>])) : new Response(null, { status: 404 });
    }) as typeof fetch;
    const bundle = await loadBundle('https://models.example/sam/', { fetch: fakeFetch });
    await bundle.readGraph('sam_encoder');
    await bundle.readGraph('sam_encoder');
    expect(fetched).toEqual(['https://models.example/sam/samclip.json', 'https://models.example/sam/graphs/sam_encoder.fp32.onnx']);
    expect(entries.size).toBe(1);
  });
});
