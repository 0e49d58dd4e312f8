/**
 * Runs one bundle on one backend and collects raw outputs: every graph on its stored reference
 * inputs (timed), then the task chains from references/tasks.json on the backend's own outputs
 * (pixels → backbone → neck, or SAM's encoder → decoder per prompt; backbone → CLIP head, or CLIP's
 * image encoder, and the text encoder). Browser-safe:
 * the same code runs in Node and inside the Chromium page; comparing happens in evaluate.ts.
 */
import { SamClipError, createTensor } from '@samclip/core';
import type { Backend, Bundle, Feeds, InferenceSession, SessionValue, Tensor } from '@samclip/core';

export interface GraphRun {
  graph: string;
  outputs: Record<string, Tensor>;
  /** Wall time of each timed run (the first, warm-up run is not among them). */
  latencyMs: number[];
  /** Time to create the session (compile, upload weights). */
  loadMs: number;
}

export interface SegmentRun {
  name: string;
  masks: Tensor;
}

export interface TaskRun {
  /** Variant used per role in the chains (fp32 where the variant lacks that graph). */
  variants: Record<string, string>;
  segment: SegmentRun[];
  imageEmbeds?: Tensor;
  textEmbeds?: Tensor;
}

export interface VariantRun {
  variant: string;
  graphs: GraphRun[];
  tasks?: TaskRun;
  /** Failures, each naming the graph (or the task chain) it stopped; the other graphs still ran. */
  errors: string[];
}

export interface BackendRun {
  backend: string;
  /** Set when the backend cannot run here at all. */
  unavailable?: string;
  /** Set when the run broke down outside any variant (the browser crashed, the page failed). */
  error?: string;
  /** Facts about where it ran (browser columns: isolation, wasm threads, user agent). */
  environment?: Record<string, string | number | boolean>;
  variants: VariantRun[];
}

export interface RunOptions {
  variants: readonly string[];
  /** Timed runs per graph after one warm-up run (at most; see latencyBudgetMs). */
  runs: number;
  /**
   * Timed runs of a graph stop once together they took this long (at least one runs): a graph
   * that takes seconds on a software GPU needs no three repeats to give its latency.
   */
  latencyBudgetMs?: number;
  /** Graphs to run (default: every graph with references). */
  graphs?: readonly string[];
  onProgress?: (message: string) => void;
}

/** The part of references/tasks.json the matrix uses. */
export interface TaskReferences {
  image?: { file: string; height?: number; width?: number };
  /** SAM-side encoder input (backbone or sam_encoder), and the embeddings PyTorch computed from it. */
  samInput?: { pixelValues: string; imageEmbeddings?: string };
  /** CLIP image encoder input (bundles with clip_image_encoder). */
  clipInput?: { pixelValues: string };
  segment?: Array<{
    name: string;
    multimask: boolean;
    maskInput: string | null;
    decoderInputs: { pointCoords: number[][]; pointLabels: number[]; hasMaskInput: number };
    masks: string;
  }>;
  classify?: { labels: string[]; ids: string; imageEmbeds?: string; textEmbeds?: string; probs: number[] };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function now(): number {
  return globalThis.performance.now();
}

async function toCpu(value: SessionValue | undefined, what: string): Promise<Tensor> {
  if (value === undefined) throw new SamClipError('SESSION', `${what} was not returned`);
  if ('location' in value && value.location === 'device') {
    const tensor = await value.download();
    value.dispose();
    return tensor;
  }
  return value as Tensor;
}

async function runToCpu(session: InferenceSession, feeds: Feeds, what: string): Promise<Record<string, Tensor>> {
  const fetches = await session.run(feeds);
  const out: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(fetches)) out[name] = await toCpu(value, `${what}: output ${name}`);
  return out;
}

/** Variant names of the bundle, fp32 first, then in manifest order. */
export function bundleVariants(bundle: Bundle): string[] {
  const names = new Set<string>();
  for (const graph of bundle.graphNames()) for (const variant of bundle.variants(graph)) names.add(variant);
  return [...names].sort((a, b) => (a === 'fp32' ? -1 : b === 'fp32' ? 1 : 0));
}

class Sessions {
  readonly #open = new Map<string, { session: InferenceSession; loadMs: number }>();

  constructor(
    private readonly bundle: Bundle,
    private readonly backend: Backend,
  ) {}

  async get(graph: string, variant: string): Promise<{ session: InferenceSession; loadMs: number }> {
    const key = `${graph}\u0000${variant}`;
    const open = this.#open.get(key);
    if (open) return open;
    const [bytes, externalData] = await Promise.all([this.bundle.readGraph(graph, variant), this.bundle.readExternalData(graph, variant)]);
    const start = now();
    const session = await this.backend.createSession(bytes, externalData.size > 0 ? { externalData } : {});
    const entry = { session, loadMs: now() - start };
    this.#open.set(key, entry);
    return entry;
  }

  async disposeAll(): Promise<void> {
    const sessions = [...this.#open.values()];
    this.#open.clear();
    for (const { session } of sessions) await session.dispose();
  }
}

async function runGraphReferences(bundle: Bundle, sessions: Sessions, graph: string, variant: string, runs: number, budgetMs: number): Promise<GraphRun> {
  const inputs = await bundle.references().inputs(graph);
  const feeds: Feeds = {};
  for (const { name, tensor } of inputs) feeds[name] = tensor;
  const { session, loadMs } = await sessions.get(graph, variant);
  const outputs = await runToCpu(session, feeds, `${graph} (${variant})`);
  const latencyMs: number[] = [];
  let spent = 0;
  while (latencyMs.length < runs && (latencyMs.length === 0 || spent < budgetMs)) {
    const start = now();
    // Timed runs fetch everything back to the CPU, as an application would.
    await runToCpu(session, feeds, `${graph} (${variant})`);
    latencyMs.push(now() - start);
    spent += latencyMs[latencyMs.length - 1]!;
  }
  return { graph, outputs, latencyMs, loadMs };
}

/**
 * The outputs the reference run of `graph` already produced when its only reference input is the
 * stored tensor `file`: the task chain starts from the same tensors (reference pixels, label ids),
 * and running the same session on the same input again would only cost time.
 */
function referenceRunOutputs(bundle: Bundle, graphRuns: readonly GraphRun[], graph: string, file: string): Record<string, Tensor> | undefined {
  const inputs = bundle.manifest.references?.graphs?.[graph]?.inputs;
  if (inputs?.length !== 1 || inputs[0]!.file !== file) return undefined;
  return graphRuns.find((run) => run.graph === graph)?.outputs;
}

function single(outputs: Record<string, Tensor>, name: string, graph: string): Tensor {
  const tensor = outputs[name];
  if (!tensor) throw new SamClipError('SESSION', `graph "${graph}" returned no "${name}" (outputs: ${Object.keys(outputs).join(', ')})`);
  return tensor;
}

/**
 * The chained task runs: everything from the reference pixels, on this backend's own outputs.
 * `graphRuns` are this variant's reference runs, whose outputs stand in for a chain step fed the same stored tensor.
 */
async function runTasks(bundle: Bundle, sessions: Sessions, variant: string, tasks: TaskReferences, graphRuns: readonly GraphRun[]): Promise<TaskRun> {
  const references = bundle.references();
  const variantOf = (graph: string): string => (bundle.variants(graph).includes(variant) ? variant : bundle.defaultVariant(graph));
  const used: Record<string, string> = {};
  const run = async (graph: string, feeds: Feeds): Promise<Record<string, Tensor>> => {
    const chosen = variantOf(graph);
    used[graph] = chosen;
    const { session } = await sessions.get(graph, chosen);
    return runToCpu(session, feeds, `${graph} (${chosen})`);
  };
  /** A chain step whose one input is the stored tensor `file` (under `input`). */
  const runStored = async (graph: string, input: string, file: string): Promise<Record<string, Tensor>> => {
    const reused = variantOf(graph) === variant ? referenceRunOutputs(bundle, graphRuns, graph, file) : undefined;
    if (reused) {
      used[graph] = variant;
      return reused;
    }
    return run(graph, { [input]: (await references.tensor(file)).tensor });
  };
  const result: TaskRun = { variants: used, segment: [] };
  const roles = new Set(bundle.graphNames().map((graph) => bundle.graph(graph).role));
  let features: Tensor | undefined;
  let embeddings: Tensor | undefined;
  if (tasks.samInput !== undefined) {
    const pixels = tasks.samInput.pixelValues;
    if (roles.has('backbone')) {
      const backbone = bundle.graphForRole('backbone');
      features = single(await runStored(backbone, 'pixel_values', pixels), 'backbone_features', backbone);
      if (roles.has('sam_neck')) {
        const neck = bundle.graphForRole('sam_neck');
        embeddings = single(await run(neck, { backbone_features: features }), 'image_embeddings', neck);
      }
    } else if (roles.has('sam_encoder')) {
      const encoder = bundle.graphForRole('sam_encoder');
      embeddings = single(await runStored(encoder, 'pixel_values', pixels), 'image_embeddings', encoder);
    }
  }
  if (embeddings && roles.has('prompt_decoder') && tasks.segment) {
    const decoder = bundle.graphForRole('prompt_decoder');
    const image = tasks.image;
    const size = bundle.graphConfig(decoder).maskInputSize;
    if (image?.height === undefined || image.width === undefined) {
      throw new SamClipError('MANIFEST_INVALID', 'references/tasks.json gives no image height/width for the decoder\'s orig_im_size');
    }
    if (size === undefined) throw new SamClipError('MANIFEST_INVALID', `the config of "${decoder}" sets no maskInputSize`);
    const { height, width } = image;
    for (const entry of tasks.segment) {
      const { pointCoords, pointLabels, hasMaskInput } = entry.decoderInputs;
      const maskInput = entry.maskInput !== null ? (await references.tensor(entry.maskInput)).tensor : createTensor('float32', [1, 1, size, size], new Float32Array(size * size));
      const outputs = await run(decoder, {
        image_embeddings: embeddings,
        point_coords: createTensor('float32', [1, pointCoords.length, 2], new Float32Array(pointCoords.flat())),
        point_labels: createTensor('float32', [1, pointLabels.length], new Float32Array(pointLabels)),
        mask_input: maskInput,
        has_mask_input: createTensor('float32', [1], new Float32Array([hasMaskInput])),
        orig_im_size: createTensor('float32', [2], new Float32Array([height, width])),
      });
      result.segment.push({ name: entry.name, masks: single(outputs, 'masks', decoder) });
    }
  }
  if (features && roles.has('clip_head')) {
    const head = bundle.graphForRole('clip_head');
    result.imageEmbeds = single(await run(head, { backbone_features: features }), 'image_embeds', head);
  } else if (tasks.clipInput !== undefined && roles.has('clip_image_encoder')) {
    const encoder = bundle.graphForRole('clip_image_encoder');
    result.imageEmbeds = single(await runStored(encoder, 'pixel_values', tasks.clipInput.pixelValues), 'image_embeds', encoder);
  }
  if (tasks.classify && roles.has('text_encoder')) {
    const encoder = bundle.graphForRole('text_encoder');
    result.textEmbeds = single(await runStored(encoder, 'input_ids', tasks.classify.ids), 'text_embeds', encoder);
  }
  return result;
}

/**
 * Runs every requested variant of `bundle` on `backend`. A failure inside a variant is recorded
 * on that variant (the matrix reports it) and the next variant still runs.
 */
export async function runBundle(bundle: Bundle, backend: Backend, name: string, options: RunOptions): Promise<BackendRun> {
  const support = await backend.isSupported();
  if (support !== true) {
    return { backend: name, unavailable: support === false ? `${name} reports it is not supported here` : support.reason, variants: [] };
  }
  try {
    await backend.init();
  } catch (error) {
    return { backend: name, unavailable: `${name} failed to start: ${messageOf(error)}`, variants: [] };
  }
  const tasks = bundle.manifest.references?.tasks ? ((await bundle.references().tasks()) as TaskReferences) : undefined;
  const referenced = bundle.references().graphs();
  const graphs = options.graphs ? referenced.filter((graph) => options.graphs!.includes(graph)) : referenced;
  const result: BackendRun = { backend: name, variants: [] };
  for (const variant of options.variants) {
    const sessions = new Sessions(bundle, backend);
    const run: VariantRun = { variant, graphs: [], errors: [] };
    try {
      for (const graph of graphs) {
        if (!bundle.variants(graph).includes(variant)) continue;
        options.onProgress?.(`${name}: ${variant} ${graph}`);
        try {
          run.graphs.push(await runGraphReferences(bundle, sessions, graph, variant, options.runs, options.latencyBudgetMs ?? Infinity));
        } catch (error) {
          run.errors.push(`graph ${graph}: ${messageOf(error)}`);
        }
      }
      if (tasks && !options.graphs) {
        options.onProgress?.(`${name}: ${variant} tasks`);
        try {
          run.tasks = await runTasks(bundle, sessions, variant, tasks, run.graphs);
        } catch (error) {
          run.errors.push(`task chain: ${messageOf(error)}`);
        }
      }
    } finally {
      await sessions.disposeAll().catch(() => undefined);
    }
    result.variants.push(run);
  }
  return result;
}
