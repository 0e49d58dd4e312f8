/**
 * A loaded bundle: the validated manifest plus verified access to every file it names. Nothing is
 * read before it is asked for; every read is checked against its sha256 and size first.
 */
import { SamClipError } from '../errors.js';
import { decodeModel, decodeTensor } from '../graph/index.js';
import type { Model, Tensor } from '../graph/types.js';
import { validateGraphContract } from '../schema/contracts.js';
import type { SamClipConfig } from '../schema/config.js';
import type { BundleKind, Role } from '../schema/roles.js';
import type { DownloadCache } from './cache.js';
import { assertFileMatches, verifyFileEntry } from './integrity.js';
import { bundleDirname, manifestFiles } from './manifest.js';
import type { BundleManifest, FileEntry, GraphEntry, GraphVariant } from './manifest.js';
import type { BundleSource, ReadOptions } from './source.js';

export interface BundleOptions {
  /** Download cache for remote sources; `undefined` means none. */
  cache?: DownloadCache;
}

function list(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

export class Bundle {
  readonly manifest: BundleManifest;
  readonly source: BundleSource;
  readonly #cache: DownloadCache | undefined;
  readonly #entries: Map<string, FileEntry>;

  constructor(manifest: BundleManifest, source: BundleSource, options: BundleOptions = {}) {
    this.manifest = manifest;
    this.source = source;
    this.#cache = options.cache;
    this.#entries = new Map(manifestFiles(manifest).map(({ entry }) => [entry.file, entry]));
  }

  get name(): string {
    return this.manifest.name;
  }

  get kind(): BundleKind {
    return this.manifest.kind;
  }

  get config(): SamClipConfig {
    return this.manifest.config;
  }

  /** Where the bundle was loaded from, for messages. */
  describe(): string {
    return this.source.describe();
  }

  graphNames(): string[] {
    return Object.keys(this.manifest.graphs);
  }

  graph(name: string): GraphEntry {
    const entry = this.manifest.graphs[name];
    if (!entry) {
      throw new SamClipError('NOT_FOUND', `bundle "${this.name}" has no graph "${name}" (graphs: ${list(this.graphNames())})`, { graph: name });
    }
    return entry;
  }

  /** Names of the graphs serving `role`, in manifest order. */
  graphsWithRole(role: Role): string[] {
    return Object.entries(this.manifest.graphs)
      .filter(([, entry]) => entry.role === role)
      .map(([name]) => name);
  }

  /** The single graph serving `role`; NOT_FOUND when the bundle has none, naming the roles it has. */
  graphForRole(role: Role): string {
    const names = this.graphsWithRole(role);
    if (names.length === 0) {
      const roles = [...new Set(Object.values(this.manifest.graphs).map((g) => g.role))];
      throw new SamClipError('NOT_FOUND', `bundle "${this.name}" (${this.kind}) has no ${role} graph (roles: ${list(roles)})`, { role });
    }
    return names[0]!;
  }

  /** The bundle config with the graph's own overrides applied. */
  graphConfig(graph: string): SamClipConfig {
    return { ...this.manifest.config, ...this.graph(graph).config };
  }

  variants(graph: string): string[] {
    return Object.keys(this.graph(graph).variants);
  }

  /** `fp32` when present (the reference), else the first variant listed. */
  defaultVariant(graph: string): string {
    const names = this.variants(graph);
    return names.includes('fp32') ? 'fp32' : names[0]!;
  }

  variant(graph: string, variant = this.defaultVariant(graph)): GraphVariant {
    const entry = this.graph(graph).variants[variant];
    if (!entry) {
      throw new SamClipError('NOT_FOUND', `graph "${graph}" has no variant "${variant}" (variants: ${list(this.variants(graph))})`, {
        graph,
        variant,
      });
    }
    return entry;
  }

  /** Verified bytes of a file entry, through the download cache for remote sources. */
  async readEntry(entry: FileEntry, options: ReadOptions = {}): Promise<Uint8Array> {
    const key = this.source.cacheKey?.(entry.file);
    const cache = key === undefined ? undefined : this.#cache;
    // The cache only saves downloads: when it cannot be used (quota, private browsing, a read-only
    // directory) or holds a damaged entry, the file is fetched from the source instead.
    if (cache && key !== undefined) {
      const hit = await cache.get(key, entry.sha256).catch(() => undefined);
      if (hit) {
        try {
          await verifyFileEntry(entry, hit, 'the download cache');
          return hit;
        } catch {
          await cache.delete(key, entry.sha256).catch(() => undefined);
        }
      }
    }
    const bytes = await this.source.read(entry.file, options);
    await verifyFileEntry(entry, bytes, this.source.describe());
    if (cache && key !== undefined) await cache.put(key, entry.sha256, bytes).catch(() => undefined);
    return bytes;
  }

  /** Verified bytes of any file samclip.json names; NOT_FOUND for files it does not name (they cannot be verified). */
  async readFile(path: string, options: ReadOptions = {}): Promise<Uint8Array> {
    const entry = this.#entries.get(path);
    if (!entry) {
      throw new SamClipError('NOT_FOUND', `bundle "${this.name}" lists no file "${path}" in samclip.json, so it cannot be verified; list it there (task reference tensors go in references.files)`, {
        file: path,
      });
    }
    return this.readEntry(entry, options);
  }

  /**
   * For bundles on the local file system: the absolute path of a variant's ONNX file once it and its
   * external-data files are verified (streamed, not held in memory); undefined for other sources.
   * Engines that read files themselves (`Backend.createSessionFromFile`) load it without a copy in
   * JavaScript. The file is verified when this is called, not when the engine reads it.
   */
  async graphFile(graph: string, variant = this.defaultVariant(graph)): Promise<string | undefined> {
    const localFile = this.source.localFile?.bind(this.source);
    if (!localFile) return undefined;
    const entry = this.variant(graph, variant);
    let path: string | undefined;
    for (const file of [entry, ...(entry.externalData ?? [])]) {
      const measured = await localFile(file.file);
      assertFileMatches(file, measured.bytes, measured.sha256, this.source.describe());
      path ??= measured.file;
    }
    return path;
  }

  /** Verified ONNX bytes of one variant of a graph. */
  async readGraph(graph: string, variant = this.defaultVariant(graph), options: ReadOptions = {}): Promise<Uint8Array> {
    return this.readEntry(this.variant(graph, variant), options);
  }

  /**
   * The variant's external-data files, keyed by the location the model names them by (their path
   * from the graph file's directory), ready for `SessionOptions.externalData`.
   */
  async readExternalData(graph: string, variant = this.defaultVariant(graph), options: ReadOptions = {}): Promise<Map<string, Uint8Array>> {
    const entry = this.variant(graph, variant);
    const base = bundleDirname(entry.file);
    const out = new Map<string, Uint8Array>();
    for (const ext of entry.externalData ?? []) {
      out.set(base === '' ? ext.file : ext.file.slice(base.length + 1), await this.readEntry(ext, options));
    }
    return out;
  }

  /** The decoded graph, checked against its role's contract (CONTRACT naming graph and tensor on mismatch). */
  async readModel(graph: string, variant = this.defaultVariant(graph), options: ReadOptions = {}): Promise<Model> {
    const model = decodeModel(await this.readGraph(graph, variant, options));
    validateGraphContract(graph, this.graph(graph).role, model, this.graphConfig(graph));
    return model;
  }

  /** The tokenizer vocabulary bytes (CLIP BPE merges, gzip or plain text). */
  async readTokenizerVocab(options: ReadOptions = {}): Promise<Uint8Array> {
    const tokenizer = this.manifest.tokenizer;
    if (!tokenizer) throw new SamClipError('NOT_FOUND', `bundle "${this.name}" (${this.kind}) has no tokenizer`);
    return this.readEntry(tokenizer.vocab, options);
  }

  references(): BundleReferences {
    return new BundleReferences(this);
  }

  /** Reads and verifies every file samclip.json names (filling the download cache for remote bundles). */
  async verifyAll(options: ReadOptions = {}): Promise<void> {
    for (const entry of this.#entries.values()) await this.readEntry(entry, options);
  }
}

export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** Reference tensors stored by the exporter: per-graph inputs with PyTorch outputs, and task references. */
export class BundleReferences {
  readonly #bundle: Bundle;

  constructor(bundle: Bundle) {
    this.#bundle = bundle;
  }

  /** Graphs that have stored reference inputs and outputs. */
  graphs(): string[] {
    return Object.keys(this.#bundle.manifest.references?.graphs ?? {});
  }

  #graph(graph: string): { inputs: FileEntry[]; outputs: FileEntry[] } {
    const refs = this.#bundle.manifest.references?.graphs?.[graph];
    if (!refs) {
      throw new SamClipError('NOT_FOUND', `bundle "${this.#bundle.name}" has no reference tensors for graph "${graph}" (graphs with references: ${list(this.graphs())})`, {
        graph,
      });
    }
    return refs;
  }

  /** A verified reference tensor (ONNX TensorProto), named as the graph input/output it belongs to. */
  async tensor(path: string): Promise<NamedTensor> {
    return decodeTensor(await this.#bundle.readFile(path));
  }

  async inputs(graph: string): Promise<NamedTensor[]> {
    return Promise.all(this.#graph(graph).inputs.map((entry) => this.#bundle.readEntry(entry).then(decodeTensor)));
  }

  async outputs(graph: string): Promise<NamedTensor[]> {
    return Promise.all(this.#graph(graph).outputs.map((entry) => this.#bundle.readEntry(entry).then(decodeTensor)));
  }

  /** references/tasks.json, parsed (its tensor paths read with `tensor(path)`). */
  async tasks(): Promise<unknown> {
    const entry = this.#bundle.manifest.references?.tasks;
    if (!entry) throw new SamClipError('NOT_FOUND', `bundle "${this.#bundle.name}" has no task references`);
    const text = new TextDecoder().decode(await this.#bundle.readEntry(entry));
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new SamClipError('MANIFEST_INVALID', `${entry.file} is not valid JSON: ${(error as Error).message}`, { file: entry.file }, { cause: error });
    }
  }
}
