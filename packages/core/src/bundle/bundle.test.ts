import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamClipError } from '../errors.js';
import { roleModel, TINY_CONFIG } from '../schema/test-utils/role-models.js';
import type { DownloadCache } from './cache.js';
import { loadBundle } from './load.js';
import { fileDownloadCache, loadBundleFromDirectory, nodeFileSource, openBundle, writeBundle } from './node.js';
import { sha256Hex } from './integrity.js';
import { buildTestBundle, bundleFiles } from './test-utils/build-bundle.js';

async function rejection(promise: Promise<unknown>): Promise<SamClipError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SamClipError);
    return error as SamClipError;
  }
  throw new Error('expected a rejection');
}

function flipByte(bytes: Uint8Array, at = 10): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

describe('bundles in memory', () => {
  it('loads, lists and reads verified, contract-checked graphs', async () => {
    const built = await buildTestBundle('sam-clip');
    const bundle = await loadBundle({ files: bundleFiles(built) });
    expect(bundle.kind).toBe('sam-clip');
    expect(bundle.graphNames()).toEqual(['backbone', 'sam_neck', 'prompt_decoder', 'clip_head', 'text_encoder']);
    expect(bundle.variants('backbone')).toEqual(['fp32']);
    expect(bundle.graphForRole('clip_head')).toBe('clip_head');
    expect(await bundle.readGraph('backbone')).toEqual(built.files.get('graphs/backbone.fp32.onnx'));
    const model = await bundle.readModel('prompt_decoder');
    expect(model.graph.inputs.map((i) => i.name)).toContain('point_coords');
    expect(new TextDecoder().decode(await bundle.readTokenizerVocab())).toContain('#version');
    await expect(bundle.verifyAll()).resolves.toBeUndefined();
  });

  it('accepts a plain record of files', async () => {
    const bundle = await loadBundle({ files: Object.fromEntries(bundleFiles(await buildTestBundle('clip'))) });
    expect(bundle.graphNames()).toEqual(['clip_image_encoder', 'text_encoder']);
  });

  it('fails with INTEGRITY naming the file when one byte of a graph changed', async () => {
    const files = bundleFiles(await buildTestBundle('sam'));
    files.set('graphs/prompt_decoder.fp32.onnx', flipByte(files.get('graphs/prompt_decoder.fp32.onnx')!));
    const bundle = await loadBundle({ files });
    const error = await rejection(bundle.readModel('prompt_decoder'));
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toMatch(/^bundle file "graphs\/prompt_decoder.fp32.onnx" \(from in-memory bundle\) has sha256 [0-9a-f]{64}, samclip.json says/);
    expect(error.details['file']).toBe('graphs/prompt_decoder.fp32.onnx');
    expect((await rejection(loadBundle({ files }, { verify: true }))).code).toBe('INTEGRITY');
    await expect(bundle.readModel('sam_encoder')).resolves.toBeDefined();
  });

  it('fails with INTEGRITY when a file has the wrong size', async () => {
    const files = bundleFiles(await buildTestBundle('sam'));
    files.set('graphs/sam_encoder.fp32.onnx', files.get('graphs/sam_encoder.fp32.onnx')!.subarray(1));
    const error = await rejection((await loadBundle({ files })).readGraph('sam_encoder'));
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toContain('"graphs/sam_encoder.fp32.onnx"');
  });

  it('fails with CONTRACT naming graph and tensor when a graph contradicts its role', async () => {
    const broken = roleModel('sam_neck', TINY_CONFIG, { override: { image_embeddings: { shape: [1, 32, 16, 16] } } });
    const bundle = await loadBundle({ files: bundleFiles(await buildTestBundle('sam-clip', { models: { sam_neck: broken } })) });
    const error = await rejection(bundle.readModel('sam_neck'));
    expect(error.code).toBe('CONTRACT');
    expect(error.message).toBe('graph "sam_neck": output "image_embeddings" has shape [1,32,16,16], contract needs [1,16,4,4]');
  });

  it('names unknown graphs, variants, files and missing files', async () => {
    const files = bundleFiles(await buildTestBundle('sam'));
    const bundle = await loadBundle({ files });
    expect((await rejection(bundle.readGraph('nope'))).message).toContain('graphs: sam_encoder, prompt_decoder');
    expect((await rejection(bundle.readGraph('sam_encoder', 'int8'))).message).toBe('graph "sam_encoder" has no variant "int8" (variants: fp32)');
    expect((await rejection(bundle.readFile('graphs/other.onnx'))).code).toBe('NOT_FOUND');
    files.delete('graphs/sam_encoder.fp32.onnx');
    expect((await rejection((await loadBundle({ files })).readGraph('sam_encoder'))).message).toContain('has no file "graphs/sam_encoder.fp32.onnx"');
    expect((await rejection(loadBundle({ files: new Map() }))).message).toContain('no file "samclip.json"');
  });

  it('reads reference tensors and task references', async () => {
    const bundle = await loadBundle({ files: bundleFiles(await buildTestBundle('sam')) });
    const refs = bundle.references();
    expect(refs.graphs()).toEqual(['sam_encoder']);
    const [input] = await refs.inputs('sam_encoder');
    expect(input?.name).toBe('pixel_values');
    expect(Array.from(input!.tensor.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect((await refs.outputs('sam_encoder'))[0]?.tensor.data).toEqual(new BigInt64Array([7n]));
    const tasks = (await refs.tasks()) as { image: { file: string } };
    expect((await refs.tensor(tasks.image.file)).tensor.dims).toEqual([1, 1, 3]);
    expect((await rejection(refs.inputs('prompt_decoder'))).code).toBe('NOT_FOUND');
  });

  it('reports a bad manifest with the bundle location', async () => {
    const files = bundleFiles(await buildTestBundle('sam'));
    files.set('samclip.json', new TextEncoder().encode('{"schemaVersion": 9}'));
    const error = await rejection(loadBundle({ files }));
    expect(error.code).toBe('MANIFEST_VERSION');
    expect(error.message).toContain('[in-memory bundle]');
  });

  it('rejects string locations that are not URLs', async () => {
    const error = await rejection(loadBundle('not a url at all'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('loadBundleFromDirectory');
  });
});

describe('bundles on disk and over HTTP', () => {
  let root: string;
  let bundleDir: string;
  let server: Server;
  let baseUrl: string;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'samclip-bundle-test-'));
    bundleDir = join(root, 'tiny');
    const built = await buildTestBundle('sam-clip');
    await writeBundle(bundleDir, built);
    server = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const prefix = '/models/tiny/';
      if (!path.startsWith(prefix)) {
        response.writeHead(404).end();
        return;
      }
      readFile(join(bundleDir, path.slice(prefix.length))).then(
        (bytes) => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes),
        () => response.writeHead(404, 'Not Found').end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no server address');
    baseUrl = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  it('writes bundles atomically and loads them from a directory or its samclip.json', async () => {
    expect((await readdir(root)).sort()).toEqual(['tiny']);
    const bundle = await loadBundleFromDirectory(bundleDir);
    await expect(bundle.readModel('clip_head')).resolves.toBeDefined();
    expect((await loadBundleFromDirectory(join(bundleDir, 'samclip.json'))).name).toBe('test-sam-clip');
    expect((await openBundle(`file://${bundleDir}`)).kind).toBe('sam-clip');
    expect((await rejection(loadBundleFromDirectory(join(root, 'missing')))).code).toBe('NOT_FOUND');
    expect((await rejection(nodeFileSource(bundleDir).read('../tiny/samclip.json'))).message).toContain('".." segment');
  });

  it('refuses to overwrite and leaves nothing behind when a file does not match its manifest entry', async () => {
    const built = await buildTestBundle('sam');
    expect((await rejection(writeBundle(bundleDir, built))).message).toContain('already exists');
    built.files.set('graphs/sam_encoder.fp32.onnx', flipByte(built.files.get('graphs/sam_encoder.fp32.onnx')!));
    const error = await rejection(writeBundle(join(root, 'broken'), built));
    expect(error.code).toBe('INTEGRITY');
    expect((await readdir(root)).sort()).toEqual(['tiny']);
  });

  it('loads over HTTP and names the URL on HTTP errors', async () => {
    const bundle = await loadBundle(`${baseUrl}/models/tiny/samclip.json`, { cache: false });
    expect(bundle.describe()).toBe(`${baseUrl}/models/tiny/`);
    await expect(bundle.readModel('text_encoder')).resolves.toBeDefined();
    const missing = await rejection(loadBundle(`${baseUrl}/models/none`, { cache: false }));
    expect(missing.code).toBe('IO');
    expect(missing.message).toBe(`fetching ${baseUrl}/models/none/samclip.json failed with HTTP 404 Not Found`);
    const refused = await rejection(loadBundle('http://127.0.0.1:1/bundle/', { cache: false }));
    expect(refused.code).toBe('IO');
    expect(refused.message).toContain('http://127.0.0.1:1/bundle/samclip.json');
  });

  it('caches downloads by URL + sha256 and re-verifies cache hits', async () => {
    const cacheDir = join(root, 'cache');
    const file = '/models/tiny/graphs/backbone.fp32.onnx';
    const before = hits.get(file) ?? 0;
    const first = await openBundle(`${baseUrl}/models/tiny/`, { cacheDir });
    const bytes = await first.readGraph('backbone');
    expect(hits.get(file)).toBe(before + 1);
    const second = await openBundle(`${baseUrl}/models/tiny/`, { cacheDir });
    expect(await second.readGraph('backbone')).toEqual(bytes);
    expect(hits.get(file)).toBe(before + 1);

    // Corrupt the cached copy: the hit fails verification, is dropped and the file fetched again.
    const cache = fileDownloadCache(cacheDir);
    const url = `${baseUrl}${file}`;
    const sha = await sha256Hex(bytes);
    await cache.put(url, sha, flipByte(bytes));
    expect(await second.readGraph('backbone')).toEqual(bytes);
    expect(hits.get(file)).toBe(before + 2);
    expect(await cache.get(url, sha)).toEqual(bytes);
  });

  it('uses a custom DownloadCache and never caches local sources', async () => {
    const store = new Map<string, Uint8Array>();
    const cache: DownloadCache = {
      get: async (url, sha) => store.get(`${url}@${sha}`),
      put: async (url, sha, bytes) => void store.set(`${url}@${sha}`, bytes),
      delete: async (url, sha) => void store.delete(`${url}@${sha}`),
    };
    await (await loadBundle(`${baseUrl}/models/tiny/`, { cache, verify: true })).readGraph('backbone');
    expect([...store.keys()].some((key) => key.startsWith(`${baseUrl}/models/tiny/graphs/backbone.fp32.onnx@`))).toBe(true);
    const storedBefore = store.size;
    await (await loadBundleFromDirectory(bundleDir, { cache, verify: true })).readGraph('backbone');
    expect(store.size).toBe(storedBefore);
  });

  it('fails with INTEGRITY for a changed file on disk', async () => {
    const copy = join(root, 'changed');
    await writeBundle(copy, await buildTestBundle('sam'));
    const path = join(copy, 'graphs', 'sam_encoder.fp32.onnx');
    await writeFile(path, flipByte(await readFile(path)));
    const error = await rejection((await loadBundleFromDirectory(copy)).readModel('sam_encoder'));
    expect(error.code).toBe('INTEGRITY');
    expect(error.details['file']).toBe('graphs/sam_encoder.fp32.onnx');
    await rm(copy, { recursive: true });
  });
});
