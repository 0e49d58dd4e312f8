/**
 * Node-only bundle pieces (exported from `@samclip/core/node`): the directory source, the file
 * download cache, opening a bundle by path or URL, and writing bundles atomically.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SamClipError } from '../errors.js';
import { decodeModel } from '../graph/index.js';
import type { Model } from '../graph/types.js';
import { contractConfigKeys, inferConfigFromModel, validateGraphContract } from '../schema/contracts.js';
import type { SamClipConfig } from '../schema/config.js';
import { KIND_ROLES, kindHasSam } from '../schema/roles.js';
import type { BundleKind, Role } from '../schema/roles.js';
import type { Bundle } from './bundle.js';
import type { DownloadCache } from './cache.js';
import { sha256Hex } from './integrity.js';
import { loadBundle } from './load.js';
import type { LoadBundleOptions } from './load.js';
import { MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, VARIANT_DTYPES, manifestFiles, parseManifest } from './manifest.js';
import type { BundleManifest, ClipPreprocess, FileEntry, GraphEntry, SamPreprocess, VariantDType } from './manifest.js';
import { assertBundlePath } from './paths.js';
import type { BundleSource } from './source.js';

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** A bundle directory on disk. */
export function nodeFileSource(dir: string): BundleSource {
  const root = resolve(dir);
  return {
    describe: () => root,
    async read(path) {
      assertBundlePath(path);
      const file = join(root, ...path.split('/'));
      try {
        const buffer = await readFile(file);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') {
          throw new SamClipError('NOT_FOUND', `bundle file "${path}" does not exist in ${root}`, { file: path, path: file }, { cause: error });
        }
        throw new SamClipError('IO', `reading bundle file ${file} failed: ${(error as Error).message}`, { file: path, path: file }, { cause: error });
      }
    },
    async localFile(path) {
      assertBundlePath(path);
      const file = join(root, ...path.split('/'));
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        for await (const chunk of createReadStream(file)) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).byteLength;
        }
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') {
          throw new SamClipError('NOT_FOUND', `bundle file "${path}" does not exist in ${root}`, { file: path, path: file }, { cause: error });
        }
        throw new SamClipError('IO', `reading bundle file ${file} failed: ${(error as Error).message}`, { file: path, path: file }, { cause: error });
      }
      return { file, bytes, sha256: hash.digest('hex') };
    },
  };
}

/** `$SAMCLIP_CACHE_DIR`, else `$XDG_CACHE_HOME/samclip`, else `~/.cache/samclip`. */
export function defaultCacheDir(): string {
  const env = process.env;
  if (env['SAMCLIP_CACHE_DIR']) return resolve(env['SAMCLIP_CACHE_DIR']);
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'samclip');
  return join(homedir(), '.cache', 'samclip');
}

/** Writes `bytes` to `file` through a temporary sibling and a rename, so readers never see half a file. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new SamClipError('IO', `writing ${file} failed: ${(error as Error).message}`, { path: file }, { cause: error });
  }
}

/** A download cache in a directory (default `defaultCacheDir()`), one file per URL + sha256. */
export function fileDownloadCache(dir = defaultCacheDir()): DownloadCache {
  const root = resolve(dir);
  const fileFor = (url: string, sha256: string): string => {
    const urlHash = createHash('sha256').update(url).digest('hex').slice(0, 32);
    return join(root, sha256.slice(0, 2), `${sha256}-${urlHash}`);
  };
  return {
    async get(url, sha256) {
      try {
        const buffer = await readFile(fileFor(url, sha256));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return undefined;
        throw new SamClipError('IO', `reading the download cache in ${root} failed: ${(error as Error).message}`, { path: root }, { cause: error });
      }
    },
    put: (url, sha256, bytes) => writeFileAtomic(fileFor(url, sha256), bytes),
    async delete(url, sha256) {
      await rm(fileFor(url, sha256), { force: true });
    },
  };
}

async function bundleDirOf(path: string): Promise<string> {
  const full = resolve(path);
  try {
    const info = await stat(full);
    return info.isDirectory() ? full : dirname(full);
  } catch (error) {
    throw new SamClipError('NOT_FOUND', `bundle ${full} does not exist; pass a bundle directory, its samclip.json or a URL`, { path: full }, { cause: error });
  }
}

/** Opens the bundle in a directory (or the directory of a samclip.json path). */
export async function loadBundleFromDirectory(path: string, options: Omit<LoadBundleOptions, 'fetch'> = {}): Promise<Bundle> {
  return loadBundle(nodeFileSource(await bundleDirOf(path)), options);
}

export interface OpenBundleOptions extends LoadBundleOptions {
  /** Download cache directory for http(s) bundles (default `defaultCacheDir()`); ignored when `cache` is given. */
  cacheDir?: string;
}

/**
 * Opens a bundle from an http(s) URL (cached in the file cache), a file: URL, a directory or a
 * samclip.json path.
 */
export async function openBundle(location: string | URL, options: OpenBundleOptions = {}): Promise<Bundle> {
  const text = String(location);
  if (/^https?:\/\//i.test(text)) {
    const { cacheDir, ...rest } = options;
    return loadBundle(text, { ...rest, cache: options.cache ?? fileDownloadCache(cacheDir) });
  }
  const path = /^file:/i.test(text) ? fileURLToPath(text) : text;
  const { cacheDir: _cacheDir, fetch: _fetch, ...rest } = options;
  return loadBundleFromDirectory(path, rest);
}

/** A manifest file entry for `bytes` stored at `file`. */
export async function fileEntryFor(file: string, bytes: Uint8Array): Promise<FileEntry> {
  assertBundlePath(file);
  return { file, sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
}

async function checkFilesAgainstManifest(manifest: BundleManifest, files: ReadonlyMap<string, Uint8Array>, dir?: string): Promise<void> {
  for (const { entry, where } of manifestFiles(manifest)) {
    const bytes = files.get(entry.file) ?? (dir === undefined ? undefined : await readFile(join(dir, ...entry.file.split('/'))).catch(() => undefined));
    if (!bytes) throw new SamClipError('MANIFEST_INVALID', `${where} names "${entry.file}", which is not among the files to write`, { file: entry.file });
    const actual = await fileEntryFor(entry.file, bytes);
    if (actual.bytes !== entry.bytes || actual.sha256 !== entry.sha256) {
      throw new SamClipError('INTEGRITY', `${where} says "${entry.file}" has ${entry.bytes} bytes and sha256 ${entry.sha256}, but the file has ${actual.bytes} and ${actual.sha256}`, {
        file: entry.file,
      });
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface WriteBundleOptions {
  /** Replace an existing directory at `outDir` (swapped in only once the new bundle is complete). */
  overwrite?: boolean;
}

/**
 * Writes a complete bundle: validates the manifest, checks every file it names against `files`,
 * writes everything into a temporary sibling directory, then renames it into place.
 */
export async function writeBundle(
  outDir: string,
  bundle: { manifest: BundleManifest; files: ReadonlyMap<string, Uint8Array> },
  options: WriteBundleOptions = {},
): Promise<void> {
  const target = resolve(outDir);
  const manifest = parseManifest(JSON.parse(JSON.stringify(bundle.manifest)) as unknown);
  await checkFilesAgainstManifest(manifest, bundle.files);
  if ((await exists(target)) && !options.overwrite) {
    throw new SamClipError('IO', `${target} already exists; choose another output directory or allow overwriting`, { path: target });
  }
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const temp = `${target}.tmp-${suffix}`;
  try {
    for (const [path, bytes] of bundle.files) {
      assertBundlePath(path);
      const file = join(temp, ...path.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
    await writeFile(join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (await exists(target)) {
      const old = `${target}.old-${suffix}`;
      await rename(target, old);
      await rename(temp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof SamClipError) throw error;
    throw new SamClipError('IO', `writing the bundle to ${target} failed: ${(error as Error).message}`, { path: target }, { cause: error });
  }
}

/**
 * Adds or replaces files in an existing bundle directory and then its manifest, each through a
 * temporary file and a rename; the manifest goes last, so a crash leaves the old manifest valid.
 */
export async function updateBundle(dir: string, update: { manifest: BundleManifest; files: ReadonlyMap<string, Uint8Array> }): Promise<void> {
  const root = resolve(dir);
  const manifest = parseManifest(JSON.parse(JSON.stringify(update.manifest)) as unknown);
  for (const [path, bytes] of update.files) {
    assertBundlePath(path);
    await writeFileAtomic(join(root, ...path.split('/')), bytes);
  }
  await checkFilesAgainstManifest(manifest, update.files, root);
  await writeFileAtomic(join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface AssembleGraphInput {
  role: Role;
  /** An existing .onnx file (its external-data files are taken from beside it). */
  file: string;
  /** Graph name in the bundle (default: the role). */
  name?: string;
  /** Variant name (default `fp32`). */
  variant?: string;
  /** Weight precision (default: the variant name when it is one, else `fp32`). */
  dtype?: VariantDType;
}

export interface AssembleBundleOptions {
  outDir: string;
  kind: BundleKind;
  graphs: readonly AssembleGraphInput[];
  /** Bundle name (default: the output directory's name). */
  name?: string;
  /** Config values; dims the graphs fix are inferred, and must agree with these. */
  config?: SamClipConfig;
  /** Preprocessing; defaults to SAM's and CLIP's published normalisation at the config's sizes. */
  preprocess?: BundleManifest['preprocess'];
  /** CLIP BPE vocabulary file (bpe_simple_vocab_16e6.txt.gz); required for kinds with a text encoder. */
  tokenizerVocab?: string;
  templates?: Record<string, string[]>;
  provenance?: Record<string, unknown>;
  overwrite?: boolean;
}

/** SAM's pixel normalisation (ImageNet mean/std in 0–255). */
export const SAM_PIXEL_MEAN: [number, number, number] = [123.675, 116.28, 103.53];
export const SAM_PIXEL_STD: [number, number, number] = [58.395, 57.12, 57.375];
/** OpenAI CLIP's pixel normalisation in 0–255. */
export const CLIP_PIXEL_MEAN: [number, number, number] = [122.7709383, 116.7460125, 104.09373615];
export const CLIP_PIXEL_STD: [number, number, number] = [68.5005327, 66.6321579, 70.32316305];

function externalLocations(model: Model): string[] {
  const locations = new Set<string>();
  for (const init of model.graph.initializers) if (init.external) locations.add(init.external.location);
  return [...locations];
}

/**
 * Builds a bundle from existing ONNX files (for example Meta's exported SAM decoder plus an
 * encoder): infers config dims from the graphs, checks every graph against its role contract,
 * computes sha256 and sizes, and writes the bundle atomically.
 */
export async function assembleBundle(options: AssembleBundleOptions): Promise<BundleManifest> {
  const target = resolve(options.outDir);
  if ((await exists(target)) && !options.overwrite) {
    throw new SamClipError('IO', `${target} already exists; choose another output directory or allow overwriting`, { path: target });
  }
  const kind = options.kind;
  const allowed = KIND_ROLES[kind];
  const loaded: Array<{ name: string; input: AssembleGraphInput; bytes: Uint8Array; model: Model }> = [];
  for (const input of options.graphs) {
    if (!allowed.includes(input.role)) {
      throw new SamClipError('INVALID_ARGUMENT', `a ${kind} bundle has no ${input.role} graph (roles: ${allowed.join(', ')})`, { role: input.role });
    }
    const path = resolve(input.file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (error) {
      throw new SamClipError(errnoCode(error) === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot read ${path}: ${(error as Error).message}`, { path }, { cause: error });
    }
    const name = input.name ?? input.role;
    let model: Model;
    try {
      model = decodeModel(bytes);
    } catch (error) {
      if (error instanceof SamClipError) throw new SamClipError(error.code, `${path}: ${error.message}`, { ...error.details, path }, { cause: error });
      throw error;
    }
    loaded.push({ name, input, bytes, model });
  }
  const missingRoles = allowed.filter((role) => !loaded.some((g) => g.input.role === role));
  if (missingRoles.length > 0) {
    throw new SamClipError('INVALID_ARGUMENT', `a ${kind} bundle needs graphs for ${missingRoles.join(', ')}`, { missingRoles });
  }

  let config: SamClipConfig = { ...options.config };
  for (const graph of loaded) config = { ...config, ...inferConfigFromModel(graph.name, graph.input.role, graph.model, config) };
  const { imageSize, gridSize } = config;
  if (config.patchSize === undefined && typeof imageSize === 'number' && typeof gridSize === 'number' && imageSize % gridSize === 0) {
    config.patchSize = imageSize / gridSize;
  }
  for (const graph of loaded) {
    const missing = contractConfigKeys(graph.input.role).filter((key) => typeof config[key] !== 'number');
    if (missing.length > 0) {
      throw new SamClipError(
        'INVALID_ARGUMENT',
        `graph "${graph.name}" leaves ${missing.join(', ')} undetermined (its dims are symbolic); state ${missing.length > 1 ? 'them' : 'it'} in the config (samclip bundle --config ${missing[0]}=N)`,
        { graph: graph.name, missing },
      );
    }
    validateGraphContract(graph.name, graph.input.role, graph.model, config);
  }

  const files = new Map<string, Uint8Array>();
  const graphs: Record<string, GraphEntry> = {};
  for (const graph of loaded) {
    const variant = graph.input.variant ?? 'fp32';
    const dtype = graph.input.dtype ?? ((VARIANT_DTYPES as readonly string[]).includes(variant) ? (variant as VariantDType) : 'fp32');
    const file = `graphs/${graph.name}.${variant}.onnx`;
    const entry = graphs[graph.name] ?? { role: graph.input.role, variants: {} };
    if (entry.role !== graph.input.role) {
      throw new SamClipError('INVALID_ARGUMENT', `graph name "${graph.name}" is used for both ${entry.role} and ${graph.input.role}`, { graph: graph.name });
    }
    if (entry.variants[variant]) throw new SamClipError('INVALID_ARGUMENT', `graph "${graph.name}" has variant "${variant}" twice`, { graph: graph.name });
    const externalData: FileEntry[] = [];
    for (const location of externalLocations(graph.model)) {
      const bundlePath = `graphs/${location}`;
      assertBundlePath(bundlePath);
      const sourcePath = join(dirname(resolve(graph.input.file)), location);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(sourcePath));
      } catch (error) {
        throw new SamClipError('NOT_FOUND', `graph "${graph.name}" keeps weights in external data ${sourcePath}, which cannot be read: ${(error as Error).message}`, {
          path: sourcePath,
        });
      }
      const ext = await fileEntryFor(bundlePath, bytes);
      const earlier = files.get(bundlePath);
      if (earlier && (await sha256Hex(earlier)) !== ext.sha256) {
        throw new SamClipError('INVALID_ARGUMENT', `two graphs name different external-data files "${location}"; rename one before assembling`, { file: location });
      }
      files.set(bundlePath, bytes);
      externalData.push(ext);
    }
    files.set(file, graph.bytes);
    entry.variants[variant] = { ...(await fileEntryFor(file, graph.bytes)), dtype, ...(externalData.length > 0 ? { externalData } : {}) };
    graphs[graph.name] = entry;
  }

  const preprocess: BundleManifest['preprocess'] = { ...options.preprocess };
  if (kindHasSam(kind) && !preprocess.sam) {
    const sam: SamPreprocess = { longestSide: config.imageSize!, mean: SAM_PIXEL_MEAN, std: SAM_PIXEL_STD, resize: 'bilinear-antialias', pad: 'bottom-right' };
    preprocess.sam = sam;
  }
  if (allowed.includes('clip_image_encoder') && !preprocess.clip) {
    const clip: ClipPreprocess = { size: config.clipImageSize!, mean: CLIP_PIXEL_MEAN, std: CLIP_PIXEL_STD, resize: 'bilinear-antialias', crop: 'center' };
    preprocess.clip = clip;
  }

  const manifest: BundleManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: options.name ?? basename(target),
    kind,
    config,
    graphs,
    preprocess,
  };
  if (allowed.includes('text_encoder')) {
    if (!options.tokenizerVocab) {
      throw new SamClipError('INVALID_ARGUMENT', `a ${kind} bundle has a text encoder and needs the CLIP BPE vocabulary file (bpe_simple_vocab_16e6.txt.gz)`);
    }
    const vocabBytes = new Uint8Array(await readFile(resolve(options.tokenizerVocab)).catch((error: unknown) => {
      throw new SamClipError('NOT_FOUND', `cannot read the tokenizer vocabulary ${options.tokenizerVocab}: ${(error as Error).message}`, {
        path: options.tokenizerVocab,
      });
    }));
    const vocabPath = `tokenizer/${basename(options.tokenizerVocab)}`;
    files.set(vocabPath, vocabBytes);
    // CLIP's BPE: <|startoftext|> = 49406, <|endoftext|> = 49407, padding with 0 as open_clip does.
    manifest.tokenizer = {
      type: 'clip-bpe',
      vocab: await fileEntryFor(vocabPath, vocabBytes),
      contextLength: config.contextLength ?? 77,
      startToken: 49406,
      endToken: 49407,
      padToken: 0,
    };
  }
  if (options.templates) manifest.templates = options.templates;
  manifest.provenance = {
    ...options.provenance,
    assembled: { by: 'samclip bundle', from: Object.fromEntries(options.graphs.map((g) => [g.name ?? g.role, basename(g.file)])) },
  };
  await writeBundle(target, { manifest, files }, options.overwrite ? { overwrite: true } : {});
  return manifest;
}
