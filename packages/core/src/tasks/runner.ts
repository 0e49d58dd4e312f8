/**
 * Runs a bundle's graphs on one backend: sessions are created on first use (verified bytes from
 * the bundle, external data included), reused afterwards, counted per graph so callers and tests
 * can see how often each sub-graph ran, and disposed together.
 */
import type { Backend, Feeds, InferenceSession, SessionOptions, SessionValue } from '../backend/types.js';
import type { Bundle } from '../bundle/bundle.js';
import { SamClipError } from '../errors.js';
import { decodeModel, encodeModel } from '../graph/codec.js';
import { bindInputs, splitAtInputs } from '../graph/stage.js';
import type { Model, Tensor } from '../graph/types.js';
import type { Role } from '../schema/roles.js';
import { pruneToOutputs } from './prune.js';

export interface GraphRunnerOptions {
  /** Variant per graph name or role, or one variant for every graph (default: each graph's fp32). */
  variant?: string | Readonly<Record<string, string>>;
  sessionOptions?: SessionOptions;
  /**
   * The only outputs ever fetched from the graphs of a role: their sessions are created from the
   * graph pruned to these outputs, so the engine does not run nodes whose results nobody reads.
   */
  fetchedOutputs?: Partial<Record<Role, readonly string[]>>;
}

/**
 * A graph run in two stages (see `GraphRunner.staged`): the prefix once per value of its inputs
 * (an image's embeddings), the suffix once per call (a prompt), reading the prefix's results.
 */
export interface StagedGraph {
  /** The graph inputs the prefix reads. */
  readonly prefixInputs: readonly string[];
  /** The graph inputs the suffix reads besides the prefix's results. */
  readonly suffixInputs: readonly string[];
  runPrefix(feeds: Feeds): Promise<Record<string, Tensor>>;
  runSuffix(prefix: Readonly<Record<string, Tensor>>, feeds: Feeds, outputNames?: readonly string[]): Promise<Record<string, Tensor>>;
}

/** Which inputs a staged graph binds to constants and which change with every call. */
export interface StagePlan {
  /** Names this plan apart from others of the same graph (sessions are cached per graph and key). */
  key: string;
  /** Inputs fixed to these values in both stages (e.g. no mask prompt). */
  bound: Readonly<Record<string, Tensor>>;
  /** Inputs that change with every call; the prefix is what reads none of them. */
  perCall: readonly string[];
  /**
   * Rewrites the graph after binding, before the split (e.g. cropping the decoder's output upscaling); returns
   * the per-call inputs it added, which the suffix then declares.
   */
  rewrite?: (model: Model) => readonly string[];
}

/** The feeds a session declares, so callers can pass one set of feeds to either stage. */
function pick(feeds: Feeds, names: readonly string[]): Feeds {
  const picked: Feeds = {};
  for (const name of names) if (feeds[name] !== undefined) picked[name] = feeds[name];
  return picked;
}

async function toCpu(value: SessionValue): Promise<Tensor> {
  return 'location' in value && value.location === 'device' ? value.download() : (value as Tensor);
}

/**
 * A session created on first use and disposed only once no run is using it, so it can be
 * replaced (see `GraphRunner.withBuffersReleased`) while calls are in flight.
 */
class SessionSlot {
  readonly create: () => Promise<InferenceSession>;
  #session: Promise<InferenceSession> | undefined;
  #active = 0;
  #used = false;
  #retired = false;
  #disposed: Promise<void> | undefined;
  /** What `retire()` returns while runs are in flight: settles once the last has finished and the session is disposed. */
  #retiring: Promise<void> | undefined;
  #idle: () => void = () => undefined;

  constructor(create: () => Promise<InferenceSession>, created?: InferenceSession) {
    this.create = create;
    if (created) this.#session = Promise.resolve(created);
  }

  #get(): Promise<InferenceSession> {
    if (!this.#session) {
      const session = this.create();
      // A failed creation is not kept, so the next call tries again and reports its own error.
      session.catch(() => {
        if (this.#session === session) this.#session = undefined;
      });
      this.#session = session;
    }
    return this.#session;
  }

  /** Starts creating the session ahead of its first use; a failure surfaces on that use. */
  prepare(): void {
    this.#get().catch(() => undefined);
  }

  async use<T>(run: (session: InferenceSession) => Promise<T>): Promise<T> {
    this.#active++;
    try {
      const session = await this.#get();
      this.#used = true;
      return await run(session);
    } finally {
      this.#active--;
      if (this.#retired && this.#active === 0) void this.#dispose().then(this.#idle, this.#idle);
    }
  }

  /** Whether the session has run and keeps working buffers from it. */
  async holdsBuffers(): Promise<boolean> {
    if (!this.#used || !this.#session) return false;
    const session = await this.#session.catch(() => undefined);
    return session?.holdsBuffers === true;
  }

  /** Disposes the session once no run uses it (runs in flight finish first); resolves when it is disposed. */
  retire(): Promise<void> {
    this.#retired = true;
    if (this.#active === 0) return this.#dispose();
    this.#retiring ??= new Promise((resolve) => {
      this.#idle = resolve;
    });
    return this.#retiring;
  }

  #dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      const session = await this.#session?.catch(() => undefined);
      await session?.dispose();
    })();
    return this.#disposed;
  }
}

/** A staged graph's sessions: the prefix's, and the suffix's slot (replaced on a release). */
interface StagedEntry {
  readonly stages: StagedGraph;
  readonly prefix: InferenceSession;
  suffix: SessionSlot;
}

/** A staged graph as the engine takes it: each stage's bytes and the names that connect them. */
interface EncodedStages {
  prefix: Uint8Array;
  suffix: Uint8Array;
  prefixInputs: readonly string[];
  /** The suffix's inputs besides the prefix's results. */
  suffixInputs: readonly string[];
  /** The prefix's results the suffix reads. */
  boundary: readonly string[];
}

/**
 * `bytes` with `plan.bound` fixed, split at `plan.perCall` and encoded stage by stage. Only bytes
 * and names come back: the decoded model's weights are views of `bytes`, so keeping it (or a
 * closure over it) would hold the whole graph's bytes (16 MB at ViT-B) beside the encoded stages.
 */
function encodedStages(bytes: Uint8Array, plan: StagePlan): EncodedStages | undefined {
  const model = decodeModel(bytes);
  bindInputs(model, plan.bound);
  const added = plan.rewrite?.(model) ?? [];
  const split = splitAtInputs(model, [...plan.perCall, ...added]);
  if (!split) return undefined;
  const boundary = new Set(split.boundary);
  return {
    prefix: encodeModel(split.prefix),
    suffix: encodeModel(split.suffix),
    prefixInputs: split.prefix.graph.inputs.map((input) => input.name),
    suffixInputs: split.suffix.graph.inputs.map((input) => input.name).filter((name) => !boundary.has(name)),
    boundary: split.boundary,
  };
}

/**
 * Defaults for the sessions of graphs run once per image or text (encoders, a staged graph's prefix),
 * under the caller's own session options: their worker threads stop spinning as each run returns,
 * so they leave the CPU to the per-click session that runs next, and their buffers are allocated
 * as needed rather than as one planned block, which would raise every encode's peak after the first.
 */
const ONCE_PER_INPUT: SessionOptions = { spinAfterRun: false, planBuffers: false };

export class GraphRunner {
  readonly bundle: Bundle;
  readonly backend: Backend;
  readonly backendName: string;
  readonly #options: GraphRunnerOptions;
  readonly #sessions = new Map<string, Promise<InferenceSession>>();
  readonly #runs = new Map<string, number>();
  readonly #staged = new Map<string, Promise<StagedEntry | undefined>>();
  #disposed = false;

  constructor(bundle: Bundle, backend: Backend, backendName: string, options: GraphRunnerOptions = {}) {
    this.bundle = bundle;
    this.backend = backend;
    this.backendName = backendName;
    this.#options = options;
  }

  /** The graph serving a role, or undefined when the bundle has none. */
  graphFor(role: Role): string | undefined {
    return this.bundle.graphsWithRole(role)[0];
  }

  /** The variant used for a graph: per-graph or per-role choice, a global choice the graph has, else its default. */
  variantOf(graph: string): string {
    const choice = this.#options.variant;
    const available = this.bundle.variants(graph);
    if (typeof choice === 'string') {
      if (available.includes(choice)) return choice;
      throw new SamClipError('NOT_FOUND', `graph "${graph}" has no variant "${choice}" (variants: ${available.join(', ')})`, { graph, variant: choice });
    }
    const named = choice?.[graph] ?? choice?.[this.bundle.graph(graph).role];
    return named ?? this.bundle.defaultVariant(graph);
  }

  #session(graph: string): Promise<InferenceSession> {
    if (this.#disposed) throw new SamClipError('DISPOSED', 'This SamClip model was disposed; load it again to run it.');
    let session = this.#sessions.get(graph);
    if (!session) {
      const variant = this.variantOf(graph);
      session = (async () => {
        // Engines that read files load an unpruned graph straight from a local bundle: the model's
        // bytes (356 MB for the ViT-B encoder) then never sit in JavaScript memory while the engine
        // holds its own copy of the weights, which lowers the peak of the first encode by that much.
        const fromFile = this.backend.createSessionFromFile?.bind(this.backend);
        if (fromFile && !this.#options.fetchedOutputs?.[this.bundle.graph(graph).role]) {
          const file = await this.bundle.graphFile(graph, variant);
          if (file !== undefined) return fromFile(file, { ...ONCE_PER_INPUT, ...this.#options.sessionOptions });
        }
        const externalData = await this.bundle.readExternalData(graph, variant);
        const options: SessionOptions = { ...ONCE_PER_INPUT, ...this.#options.sessionOptions };
        if (externalData.size > 0) options.externalData = externalData;
        return this.backend.createSession(this.#prunedGraph(graph, await this.bundle.readGraph(graph, variant), externalData.size > 0), options);
      })();
      // A failed creation is not cached, so a later call can retry (e.g. after freeing memory).
      session.catch(() => this.#sessions.delete(graph));
      this.#sessions.set(graph, session);
    }
    return session;
  }

  /**
   * The graph's bytes pruned to the outputs its role fetches (see `fetchedOutputs`); the bytes as
   * stored when nothing would be dropped, when a fetched output is missing (the run then reports
   * it), or when weights live in external data (kept byte-for-byte as the bundle lists them).
   */
  #prunedGraph(graph: string, bytes: Uint8Array, hasExternalData: boolean): Uint8Array {
    const fetched = this.#options.fetchedOutputs?.[this.bundle.graph(graph).role];
    if (!fetched || hasExternalData) return bytes;
    const model = decodeModel(bytes);
    const declared = model.graph.outputs.map((output) => output.name);
    if (declared.every((name) => fetched.includes(name)) || !fetched.every((name) => declared.includes(name))) return bytes;
    pruneToOutputs(model, fetched);
    return encodeModel(model);
  }

  /** Runs a graph and returns the requested outputs as CPU tensors. */
  async run(graph: string, feeds: Feeds, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    return this.#runSession(graph, graph, await this.#session(graph), feeds, outputNames);
  }

  async #runSession(graph: string, counted: string, session: InferenceSession, feeds: Feeds, outputNames?: readonly string[]): Promise<Record<string, Tensor>> {
    let fetched;
    try {
      fetched = await session.run(feeds, outputNames);
    } catch (cause) {
      if (cause instanceof SamClipError) throw cause;
      throw new SamClipError('SESSION', `Running graph "${graph}" on ${this.backendName} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { graph }, { cause });
    }
    this.#runs.set(counted, (this.#runs.get(counted) ?? 0) + 1);
    const out: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(fetched)) out[name] = await toCpu(value);
    return out;
  }

  /**
   * The graph (pruned as `fetchedOutputs` says) with `plan.bound` fixed and split at
   * `plan.perCall` (see `splitAtInputs`), or undefined when it cannot be split: weights in external
   * data, or no work that reads none of the per-call inputs. Suffix runs count as runs of `graph`,
   * prefix runs as `graph:prefix`. The suffix session keeps its working buffers between runs
   * (`reuseBuffers`), which `withBuffersReleased` gives back around large runs.
   */
  staged(graph: string, plan: StagePlan): Promise<StagedGraph | undefined> {
    if (this.#disposed) throw new SamClipError('DISPOSED', 'This SamClip model was disposed; load it again to run it.');
    const cacheKey = `${graph}\u0000${plan.key}`;
    let entry = this.#staged.get(cacheKey);
    if (!entry) {
      entry = this.#createStaged(graph, plan);
      entry.catch(() => this.#staged.delete(cacheKey));
      this.#staged.set(cacheKey, entry);
    }
    return entry.then((created) => created?.stages);
  }

  async #createStaged(graph: string, plan: StagePlan): Promise<StagedEntry | undefined> {
    const variant = this.variantOf(graph);
    const externalData = await this.bundle.readExternalData(graph, variant);
    if (externalData.size > 0) return undefined;
    const split = encodedStages(this.#prunedGraph(graph, await this.bundle.readGraph(graph, variant), false), plan);
    if (!split) return undefined;
    const { prefixInputs, suffixInputs, boundary, suffix: suffixBytes } = split;
    const suffixOptions: SessionOptions = { ...this.#options.sessionOptions, reuseBuffers: true };
    const prefixSession = await this.backend.createSession(split.prefix, { ...ONCE_PER_INPUT, ...this.#options.sessionOptions });
    let suffixSession: InferenceSession;
    try {
      suffixSession = await this.backend.createSession(suffixBytes, suffixOptions);
    } catch (error) {
      await prefixSession.dispose();
      throw error;
    }
    // The encoded suffix is kept for creating it again after a release: deriving it anew from the
    // bundle would leave about twice its size (16 MB at ViT-B) of garbage to collect.
    const createSuffix = (): Promise<InferenceSession> => this.backend.createSession(suffixBytes, suffixOptions);
    const entry: StagedEntry = {
      prefix: prefixSession,
      suffix: new SessionSlot(createSuffix, suffixSession),
      stages: {
        prefixInputs,
        suffixInputs,
        runPrefix: (feeds) => this.#runSession(graph, `${graph}:prefix`, prefixSession, pick(feeds, prefixInputs), boundary),
        runSuffix: (prefix, feeds, outputNames) =>
          entry.suffix.use((session) => this.#runSession(graph, graph, session, { ...pick(feeds, suffixInputs), ...prefix }, outputNames)),
      },
    };
    return entry;
  }

  /**
   * Runs `work` (a large run, such as an image encoder) after the staged sessions that keep
   * working buffers between runs have given them back, so those buffers do not add to the work's
   * peak memory; runs in flight on them finish first. Each released session is created again from
   * its kept bytes once `work` settles, in the background, so its weights are not in memory during
   * `work` either and the next call rarely waits for it.
   */
  async withBuffersReleased<T>(work: () => Promise<T>): Promise<T> {
    const released: SessionSlot[] = [];
    for (const pending of this.#staged.values()) {
      const entry = await pending.catch(() => undefined);
      if (!entry || !(await entry.suffix.holdsBuffers())) continue;
      const retired = entry.suffix;
      entry.suffix = new SessionSlot(retired.create);
      released.push(entry.suffix);
      await retired.retire();
    }
    try {
      return await work();
    } finally {
      if (!this.#disposed) for (const slot of released) slot.prepare();
    }
  }

  /** How many times each graph has run. */
  runCounts(): Record<string, number> {
    return Object.fromEntries(this.#runs);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of sessions) {
      const resolved = await session.catch(() => undefined);
      await resolved?.dispose();
    }
    const staged = [...this.#staged.values()];
    this.#staged.clear();
    for (const entry of staged) {
      const resolved = await entry.catch(() => undefined);
      if (!resolved) continue;
      await resolved.prefix.dispose();
      await resolved.suffix.retire();
    }
  }
}

/** The output `name` of a run, checked to be float32. */
export function float32Output(outputs: Record<string, Tensor>, name: string, graph: string): Tensor<'float32'> {
  const tensor = outputs[name];
  if (!tensor) throw new SamClipError('CONTRACT', `Graph "${graph}" returned no "${name}" output.`, { graph, tensor: name });
  if (tensor.dtype !== 'float32') throw new SamClipError('CONTRACT', `Graph "${graph}" output "${name}" is ${tensor.dtype}, expected float32.`, { graph, tensor: name });
  return tensor as Tensor<'float32'>;
}
