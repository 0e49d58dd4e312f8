/**
 * The task API: one model object over a bundle and a backend. `encode` runs the image encoder
 * once per image; segment, classify, segmentSemantic and segmentEverything all start from that
 * encoding, so the backbone runs once however many tasks use the image.
 */
import {
  ClipTokenizer,
  PromptError,
  buildPointGrid,
  encodeSamPrompt,
  ensembleEmbeddings,
  expandTemplates,
  resolveTemplates,
  type ClassNames,
  type SamDecoderInputs,
  type SamPrompt,
  type TemplateSpec,
} from '@samclip/prompts';
import { backendRegistry, type BackendFallback, type BackendRegistry } from '../backend/registry.js';
import type { SessionOptions } from '../backend/types.js';
import { Bundle } from '../bundle/bundle.js';
import { sha256Hex } from '../bundle/integrity.js';
import { loadBundle, type BundleLocation, type LoadBundleOptions } from '../bundle/load.js';
import type { ClipPreprocess, SamPreprocess } from '../bundle/manifest.js';
import { SamClipError } from '../errors.js';
import { createTensor } from '../graph/tensor.js';
import { BEST_MULTIMASK, selectUpscaledMasks, UPSCALE_MASKS_INPUT, UPSCALED_MASKS_OUTPUT } from '../graph/mask-select.js';
import { cropOutputUpscaling, UPSCALE_GRID_INPUT } from '../graph/upscale-crop.js';
import type { Tensor } from '../graph/types.js';
import { loadImage, type ImageInput, type ImageLimits } from '../image/convert.js';
import { gridExtentRead, maskFromLogits, maskLogitsToImage, maskPlane, maskStats, paddedMaskPlane, stabilityScore, thresholdMap, type MaskGeometry } from '../image/masks.js';
import { preprocessForClip, preprocessForSam, resizedSizeForLongestSide } from '../image/preprocess.js';
import { resampleMethod } from '../image/resample.js';
import { encodeRleString, type CocoRleString } from '../image/rle.js';
import type { BinaryMask, FloatMap, ImageSize, RgbImage } from '../image/types.js';
import type { BundleKind, Role } from '../schema/roles.js';
import { cellCenterInImage, cellOnImage, classLogitMaps, gridMapToImage, gridMapToMaskInput, type DenseGrid } from './dense.js';
import { EncodingCache, ImageEncoding } from './encoding.js';
import { argmax, dot, l2Normalize, l2NormalizeRowsInPlace, nonMaxSuppression, softmax, type BoxXYXY } from './math.js';
import { GraphRunner, float32Output, type StagePlan } from './runner.js';

export interface SamClipOptions extends ImageLimits {
  /** Backend name, ordered list of names, or `auto` (default): the highest-priority backend that runs here. */
  backend?: string | readonly string[];
  /** Variant for every graph (`fp32`, `int8`, …) or per graph name / role. */
  variant?: string | Readonly<Record<string, string>>;
  /** Registry to resolve the backend from (default: the process-wide one). */
  registry?: BackendRegistry;
  sessionOptions?: SessionOptions;
  /** Encodings kept by content (LRU; default 4, 0 disables). */
  cacheSize?: number;
  /** Text embeddings kept by text (default 1024, 0 disables). */
  textCacheSize?: number;
}

export type SamClipLoadOptions = SamClipOptions & LoadBundleOptions;

export interface EncodeOptions {
  /**
   * Work on this image to do now rather than on the first call that needs it. `'segment'`: SAM's
   * neck (sam-clip bundles), the prompt decoder's image-only stage, and its per-prompt session
   * created and run twice (clicks at the centre, counted in `runCounts`), so the first prompt on
   * the image costs about what later ones do; for interactive apps that encode, then wait for the user's
   * first click. Bundles without a prompt decoder refuse it with `UNSUPPORTED`.
   */
  prepare?: 'segment';
}

export interface SegmentOptions {
  /** Return the three multimask outputs (default true, as SamPredictor) instead of the single-mask output. */
  multimask?: boolean;
  /** Also return mask logits at the original size. */
  returnLogits?: boolean;
  /**
   * Return only the highest-scoring of the masks `multimask` selects (then `best` is 0), so only
   * that one is resampled to the original size: the interactive click → mask path.
   */
  bestOnly?: boolean;
  /**
   * Return the low-res logits (default true). Without them (`lowResLogits` in the result is empty),
   * the decoder upsamples only the embedding tokens the masks read, those over the image and not
   * its padding: a third fewer on a 3:2 photo, for the same masks. For clicks that will not be
   * refined with `prompt.mask`, such as a hover preview. Bundles whose decoder this does not apply
   * to (see docs/architecture.md) compute the whole grid as before.
   */
  lowResLogits?: boolean;
}

export interface SegmentResult {
  /** Masks at the original image size. */
  masks: BinaryMask[];
  /** Predicted IoU per mask. */
  scores: number[];
  /** Index of the highest-scoring mask. */
  best: number;
  /** M×M low-resolution logits per mask; pass one back as `prompt.mask` to refine. */
  lowResLogits: FloatMap[];
  /** Logits at the original size (with `returnLogits`). */
  logits?: FloatMap[];
}

export interface ClassifyOptions {
  /** Template set name (bundle or built-in) or templates (default: the bundle's `default` set, else "a photo of a {}."). */
  templates?: TemplateSpec;
  /** How many ranked labels to return (default: all). */
  topK?: number;
}

export interface LabelScore {
  label: string;
  index: number;
  /** Softmax probability over the labels. */
  score: number;
  /** logitScale · cosine similarity. */
  logit: number;
}

export interface ClassifyResult {
  /** Ranked, best first, at most topK. */
  top: LabelScore[];
  /** Probabilities in the order of the labels given. */
  probabilities: number[];
}

export interface SegmentSemanticOptions {
  templates?: TemplateSpec;
  /** Add a background class: `true` names it "background", a string names it. */
  background?: boolean | string;
  /** `sam` refines each class with SAM prompted from the CLIP map (mask + up to 3 points). Default `none`. */
  refine?: 'none' | 'sam';
}

export interface SemanticClass {
  label: string;
  index: number;
  /** Pixels labelled with this class. */
  area: number;
  /** Mean CLIP probability of this class over the image. */
  score: number;
}

export interface SemanticResult {
  /** Class names by index (the labels given, then the background class if any). */
  labels: string[];
  /** Class index per pixel at the original size. */
  labelMap: { width: number; height: number; data: Uint16Array };
  classes: SemanticClass[];
  /** One mask per class at the original size. */
  masks: BinaryMask[];
}

export interface SegmentEverythingOptions {
  /** Grid points per side (default 16; SAM's generator uses 32). */
  pointsPerSide?: number;
  /** Keep masks whose predicted IoU exceeds this (default 0.88). */
  predIouThreshold?: number;
  /** Keep masks whose stability score reaches this (default 0.95). */
  stabilityScoreThreshold?: number;
  stabilityScoreOffset?: number;
  /** Box IoU above which the lower-scoring mask is dropped (default 0.7). */
  boxNmsThreshold?: number;
  /** Drop masks smaller than this many pixels (default 0). */
  minMaskArea?: number;
  /** Label each mask with one of these (needs a CLIP head). */
  labels?: readonly string[];
  templates?: TemplateSpec;
  /** Include each mask as a bitmap besides its RLE (default false). */
  returnMasks?: boolean;
  /** Called with done = 0 once the image is encoded, then after each grid point is decoded (for progress displays). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Aborting rejects with CANCELLED between decoder runs, between the masks being resampled to
   * full size, and while the image is being encoded as soon as the engine yields the thread: at
   * once on engines that run off it, after the run on onnxruntime-node, whose `run` holds it (run
   * the model in a worker — core's WorkerPool — to stop an encoder mid-run). An abandoned encoder
   * run finishes in the background and a new call on the same pixels shares it.
   */
  signal?: AbortSignal;
}

export interface EverythingMask {
  /** COCO RLE (pycocotools' compressed counts), size [height, width]. */
  rle: CocoRleString;
  mask?: BinaryMask;
  area: number;
  /** COCO [x, y, width, height]. */
  bbox: [number, number, number, number];
  predictedIou: number;
  stabilityScore: number;
  /** The grid point that produced the mask, in image pixels. */
  point: { x: number; y: number };
  label?: LabelScore;
}

/** The prompt-decoder outputs the SDK reads. */
const DECODER_OUTPUTS = ['iou_predictions', 'low_res_masks'] as const;

/**
 * Dropped clicks in `prepare: 'segment'`. A fresh per-click session is slow twice: onnxruntime
 * allocates each buffer on the first run and records their layout, then allocates that layout as
 * one block on the second, whose pages fault in as it is first written. At ViT-B on a 2-core CPU the
 * user's first click after one dropped click took 28–72 ms (later clicks 23–35 ms); after two, 19–39 ms
 * (later clicks 26–43 ms), about what the later clicks take.
 */
const PREPARE_CLICKS = 2;

/**
 * The prompt decoder staged for prompts without a mask: has_mask_input = 0 (and an all-zero
 * mask_input) bound, so the graph's image-only work (the first layer's projections of the image
 * embeddings, the dense prompt of "no mask") becomes a prefix run once per image.
 */
function noMaskPromptPlan(maskSize: number): StagePlan {
  return {
    key: `no-mask-${maskSize}`,
    bound: { has_mask_input: createTensor('float32', [1], [0]), mask_input: createTensor('float32', [1, 1, maskSize, maskSize], new Float32Array(maskSize * maskSize)) },
    perCall: ['point_coords', 'point_labels', 'orig_im_size'],
    rewrite: (model) => [cropOutputUpscaling(model), selectUpscaledMasks(model)].filter((input) => input !== undefined),
  };
}

/**
 * `work`, or a rejection with `cancel()` as soon as `signal` aborts. An engine run cannot be
 * interrupted, so the work itself goes on; its eventual failure is not reported twice.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, cancel: () => Error): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.catch(() => undefined);
      reject(cancel());
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function promptError(error: unknown): never {
  if (error instanceof PromptError) throw new SamClipError('INVALID_ARGUMENT', error.message, { ...error.details }, { cause: error });
  throw error;
}

function checkLabels(labels: readonly string[] | undefined, what: string): readonly string[] {
  if (!Array.isArray(labels) || labels.length === 0) throw new SamClipError('INVALID_ARGUMENT', `${what} needs a non-empty list of labels.`);
  labels.forEach((label, index) => {
    if (typeof label !== 'string' || label.trim() === '') {
      throw new SamClipError('INVALID_ARGUMENT', `Label ${index} is ${JSON.stringify(label)}; labels must be non-empty strings.`, { index });
    }
  });
  return labels;
}

function checkThreshold(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new SamClipError('INVALID_ARGUMENT', `${name} must be a number in [${min}, ${max}], got ${value}.`, { [name]: value });
  }
  return value;
}

function sizeKey(size: ImageSize): string {
  return `${size.width}x${size.height}`;
}

export class SamClip {
  readonly bundle: Bundle;
  /** The backend running the graphs, and those passed over before it with why. */
  readonly backendName: string;
  readonly fallbacks: readonly BackendFallback[];
  readonly #runner: GraphRunner;
  readonly #cache: EncodingCache;
  readonly #limits: ImageLimits;
  readonly #textCache = new Map<string, Float32Array>();
  readonly #pendingEncodes = new Map<string, Promise<ImageEncoding>>();
  readonly #textCacheSize: number;
  #tokenizer: Promise<ClipTokenizer> | undefined;

  private constructor(bundle: Bundle, runner: GraphRunner, fallbacks: readonly BackendFallback[], options: SamClipOptions) {
    this.bundle = bundle;
    this.#runner = runner;
    this.backendName = runner.backendName;
    this.fallbacks = fallbacks;
    this.#cache = new EncodingCache(options.cacheSize ?? 4);
    this.#textCacheSize = options.textCacheSize ?? 1024;
    this.#limits = options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels };
  }

  /** Opens a bundle (a loaded Bundle, URL, in-memory files or BundleSource) on a backend. */
  static async load(bundle: Bundle | BundleLocation, options: SamClipLoadOptions = {}): Promise<SamClip> {
    const loaded = bundle instanceof Bundle ? bundle : await loadBundle(bundle, options);
    const resolved = await (options.registry ?? backendRegistry).resolve(options.backend ?? 'auto');
    const runnerOptions: ConstructorParameters<typeof GraphRunner>[3] = {};
    if (options.variant !== undefined) runnerOptions.variant = options.variant;
    if (options.sessionOptions !== undefined) runnerOptions.sessionOptions = options.sessionOptions;
    // The SDK post-processes the chosen low-res mask itself; the decoder's own full-size `masks` is never read.
    runnerOptions.fetchedOutputs = { prompt_decoder: DECODER_OUTPUTS };
    const runner = new GraphRunner(loaded, resolved.backend, resolved.name, runnerOptions);
    // Check every variant choice up front so a typo fails at load, not on the first image.
    for (const graph of loaded.graphNames()) runner.variantOf(graph);
    return new SamClip(loaded, runner, resolved.fallbacks, options);
  }

  get kind(): BundleKind {
    return this.bundle.kind;
  }

  /** How many times each graph has run (sessions are shared by all images). */
  runCounts(): Record<string, number> {
    return this.#runner.runCounts();
  }

  /** The variant each graph runs. */
  variants(): Record<string, string> {
    return Object.fromEntries(this.bundle.graphNames().map((graph) => [graph, this.#runner.variantOf(graph)]));
  }

  #graph(role: Role, task: string): string {
    const graph = this.#runner.graphFor(role);
    if (!graph) {
      throw new SamClipError('UNSUPPORTED', `${task} needs a ${role} graph, which this ${this.kind} bundle "${this.bundle.name}" lacks; use a bundle of kind ${role === 'prompt_decoder' ? 'sam-clip, sam or sam+clip' : 'sam-clip, clip or sam+clip'}.`, {
        role,
        kind: this.kind,
      });
    }
    return graph;
  }

  #hasRole(role: Role): boolean {
    return this.#runner.graphFor(role) !== undefined;
  }

  get #samPreprocess(): SamPreprocess {
    const sam = this.bundle.manifest.preprocess.sam;
    if (!sam) throw new SamClipError('MANIFEST_INVALID', `bundle "${this.bundle.name}" has a SAM graph but no preprocess.sam settings.`);
    return sam;
  }

  get #clipPreprocess(): ClipPreprocess {
    const clip = this.bundle.manifest.preprocess.clip;
    if (!clip) throw new SamClipError('MANIFEST_INVALID', `bundle "${this.bundle.name}" has a CLIP image encoder but no preprocess.clip settings.`);
    return clip;
  }

  #configValue(key: 'imageSize' | 'gridSize' | 'maskInputSize' | 'textEmbedDim', graph?: string): number {
    const config = graph ? this.bundle.graphConfig(graph) : this.bundle.config;
    const value = config[key] ?? (key === 'maskInputSize' && config.gridSize ? config.gridSize * 4 : undefined);
    if (typeof value !== 'number') throw new SamClipError('MANIFEST_INVALID', `bundle "${this.bundle.name}" config lacks ${key}.`, { key });
    return value;
  }

  get #logitScale(): number {
    return this.bundle.config.logitScale ?? 100;
  }

  // ---------------------------------------------------------------- images and encodings

  /**
   * Encodes an image: runs the encoder that defines it (the shared backbone for `sam-clip`, SAM's
   * encoder for `sam`/`sam+clip`, CLIP's for `clip`) and keeps the result. The same pixels encoded
   * again come from the cache. `options.prepare` also does, now, the work later calls would share.
   */
  async encode(image: ImageInput | ImageEncoding, options: EncodeOptions = {}): Promise<ImageEncoding> {
    const prepare = options.prepare;
    if (prepare !== undefined && prepare !== 'segment') {
      throw new SamClipError('INVALID_ARGUMENT', `encode: prepare must be 'segment' (or left out), got ${JSON.stringify(prepare)}.`, { prepare: String(prepare) });
    }
    // Checked before the encoder runs, so a bundle that cannot segment fails at once.
    if (prepare === 'segment') this.#graph('prompt_decoder', 'Segmentation');
    const encoding = await this.#encodeOnly(image);
    if (prepare === 'segment') await this.#prepareSegment(encoding);
    return encoding;
  }

  async #encodeOnly(image: ImageInput | ImageEncoding): Promise<ImageEncoding> {
    if (image instanceof ImageEncoding) {
      image.assertLive();
      return image;
    }
    const rgb = await loadImage(image, this.#limits);
    const key = `${sizeKey(rgb)}:${await sha256Hex(rgb.data)}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    // The same pixels asked for again while their encoder run is in flight (a cancelled task
    // leaves it running) share that run instead of starting a second one.
    const pending = this.#pendingEncodes.get(key);
    if (pending) return pending;
    const encoded = this.#encodeNew(key, rgb);
    this.#pendingEncodes.set(key, encoded);
    try {
      return await encoded;
    } finally {
      this.#pendingEncodes.delete(key);
    }
  }

  async #encodeNew(key: string, rgb: RgbImage): Promise<ImageEncoding> {
    const inputSize = this.#hasRole('prompt_decoder') ? resizedSizeForLongestSide(rgb, this.#samPreprocess.longestSide) : { height: rgb.height, width: rgb.width };
    const encoding = new ImageEncoding(key, rgb, inputSize, (disposed) => this.#cache.delete(disposed));
    try {
      // The prompt decoder's per-click buffers are given back while the encoder, the largest
      // run, reaches its peak memory.
      await this.#runner.withBuffersReleased(async () => {
        if (this.kind === 'sam-clip') await this.#backboneFeatures(encoding);
        else if (this.kind === 'clip') await this.#clipImageOutputs(encoding, 'center');
        else await this.#imageEmbeddings(encoding);
      });
    } catch (error) {
      encoding.dispose();
      throw error;
    }
    this.#cache.set(encoding);
    return encoding;
  }

  #samPixelValues(image: RgbImage): Tensor<'float32'> {
    const sam = this.#samPreprocess;
    const pre = preprocessForSam(image, { longestSide: sam.longestSide, mean: sam.mean, std: sam.std, resize: resampleMethod(sam.resize) });
    return createTensor('float32', pre.dims, pre.pixelValues);
  }

  #backboneFeatures(encoding: ImageEncoding): Promise<Tensor<'float32'>> {
    return encoding.memo('backbone', async () => {
      const graph = this.#graph('backbone', 'Encoding');
      const out = await this.#runner.run(graph, { pixel_values: this.#samPixelValues(encoding.image) }, ['backbone_features']);
      return float32Output(out, 'backbone_features', graph);
    });
  }

  /** SAM image embeddings [1, C, G, G]: the neck over shared features, or SAM's own encoder. */
  #imageEmbeddings(encoding: ImageEncoding): Promise<Tensor<'float32'>> {
    if (this.kind === 'sam-clip') {
      return encoding.memo('sam_neck', async () => {
        const graph = this.#graph('sam_neck', 'Segmentation');
        const out = await this.#runner.run(graph, { backbone_features: await this.#backboneFeatures(encoding) }, ['image_embeddings']);
        return float32Output(out, 'image_embeddings', graph);
      });
    }
    return encoding.memo('sam_encoder', async () => {
      const graph = this.#graph('sam_encoder', 'Segmentation');
      const out = await this.#runner.run(graph, { pixel_values: this.#samPixelValues(encoding.image) }, ['image_embeddings']);
      return float32Output(out, 'image_embeddings', graph);
    });
  }

  /** CLIP image outputs: the CLIP head over shared features, or CLIP's encoder on a centre crop or the squashed image. */
  #clipImageOutputs(encoding: ImageEncoding, crop: 'center' | 'none'): Promise<{ imageEmbeds: Float32Array; dense: Tensor<'float32'> }> {
    if (this.kind === 'sam-clip') {
      return encoding.memo('clip_head', async () => {
        const graph = this.#graph('clip_head', 'CLIP');
        const out = await this.#runner.run(graph, { backbone_features: await this.#backboneFeatures(encoding) }, ['image_embeds', 'dense_embeds']);
        return { imageEmbeds: float32Output(out, 'image_embeds', graph).data, dense: float32Output(out, 'dense_embeds', graph) };
      });
    }
    return encoding.memo(`clip_image_encoder:${crop}`, async () => {
      const graph = this.#graph('clip_image_encoder', 'CLIP');
      const clip = this.#clipPreprocess;
      const pre = preprocessForClip(encoding.image, { size: clip.size, mean: clip.mean, std: clip.std, resize: resampleMethod(clip.resize), crop });
      const out = await this.#runner.run(graph, { pixel_values: createTensor('float32', pre.dims, pre.pixelValues) }, ['image_embeds', 'dense_embeds']);
      return { imageEmbeds: float32Output(out, 'image_embeds', graph).data, dense: float32Output(out, 'dense_embeds', graph) };
    });
  }

  /** CLIP dense features as a grid of unit vectors, with where the grid lies on the image. */
  async #denseGrid(encoding: ImageEncoding): Promise<DenseGrid> {
    return encoding.memo('dense_grid', async () => {
      // A separate CLIP encoder sees the whole image squashed, so its cells cover all of it.
      const coverage = this.kind === 'sam-clip' ? 'padded' : 'image';
      const { dense } = await this.#clipImageOutputs(encoding, coverage === 'padded' ? 'center' : 'none');
      const [, height, width, dim] = dense.dims as [number, number, number, number];
      const embeddings = l2NormalizeRowsInPlace(Float32Array.from(dense.data), dim);
      const imageSize = this.#hasRole('prompt_decoder') ? this.#samPreprocess.longestSide : Math.max(encoding.originalSize.width, encoding.originalSize.height);
      return { width, height, dim, embeddings, coverage, imageSize, inputSize: encoding.inputSize, originalSize: encoding.originalSize } satisfies DenseGrid;
    });
  }

  // ---------------------------------------------------------------- SAM

  #maskGeometry(encoding: ImageEncoding): MaskGeometry {
    return { imageSize: this.#samPreprocess.longestSide, inputSize: encoding.inputSize, originalSize: encoding.originalSize };
  }

  /** Validated decoder inputs for a prompt on an image of `size` (INVALID_ARGUMENT naming the problem). */
  #promptInputs(size: ImageSize, prompt: SamPrompt): SamDecoderInputs {
    const maskInputSize = this.#configValue('maskInputSize', this.#graph('prompt_decoder', 'Segmentation'));
    try {
      return encodeSamPrompt(prompt, { imageSize: size, longestSide: this.#samPreprocess.longestSide, maskInputSize });
    } catch (error) {
      promptError(error);
    }
  }

  /**
   * One prompt-decoder run; only `iou_predictions` and `low_res_masks` are read: the SDK upsamples
   * the masks it returns itself. The runner prunes the graph's full-size `masks` output away, and
   * orig_im_size = 1×1 keeps that output cheap where the graph could not be pruned (weights in
   * external data), since only `masks` reads orig_im_size in Meta's export. `masks` names the masks the
   * caller reads (BEST_MULTIMASK for the best multimask output); where the staged graph selects, only
   * they are upsampled, and `planes` says which mask each plane of `lowRes` is.
   */
  async #decode(
    encoding: ImageEncoding,
    prompt: SamPrompt | SamDecoderInputs,
    cropToImage: boolean,
    masks: readonly number[],
  ): Promise<{ iou: Float32Array; lowRes: Float32Array; count: number; maskSize: number; lowResSize: { height: number; width: number }; planes: number[] }> {
    const graph = this.#graph('prompt_decoder', 'Segmentation');
    const maskSize = this.#configValue('maskInputSize', graph);
    const inputs = 'pointCoords' in prompt ? prompt : this.#promptInputs(encoding.originalSize, prompt);
    const promptFeeds = {
      point_coords: createTensor('float32', [1, inputs.numPoints, 2], inputs.pointCoords),
      point_labels: createTensor('float32', [1, inputs.numPoints], inputs.pointLabels),
      orig_im_size: createTensor('float32', [2], Float32Array.of(1, 1)),
    };
    // Without a mask prompt, the decoder's work on the image alone runs once per image.
    const staged = inputs.hasMaskInput[0] === 0 ? await this.#runner.staged(graph, noMaskPromptPlan(maskSize)) : undefined;
    let out: Record<string, Tensor>;
    if (staged) {
      const embeddings = await this.#imageEmbeddings(encoding);
      const prefix = await encoding.memo(`prompt_decoder_prefix:${graph}`, () => staged.runPrefix({ image_embeddings: embeddings }));
      const feeds: Record<string, Tensor> = { image_embeddings: embeddings, ...promptFeeds };
      if (staged.suffixInputs.includes(UPSCALE_GRID_INPUT)) feeds[UPSCALE_GRID_INPUT] = this.#upscaleGrid(encoding, embeddings, maskSize, cropToImage);
      const selects = staged.suffixInputs.includes(UPSCALE_MASKS_INPUT);
      if (selects) feeds[UPSCALE_MASKS_INPUT] = createTensor('int64', [masks.length], BigInt64Array.from(masks, BigInt));
      out = await staged.runSuffix(prefix, feeds, selects ? [...DECODER_OUTPUTS, UPSCALED_MASKS_OUTPUT] : DECODER_OUTPUTS);
    } else {
      out = await this.#runner.run(
        graph,
        {
          image_embeddings: await this.#imageEmbeddings(encoding),
          ...promptFeeds,
          mask_input: createTensor('float32', [1, 1, maskSize, maskSize], inputs.maskInput),
          has_mask_input: createTensor('float32', [1], inputs.hasMaskInput),
        },
        DECODER_OUTPUTS,
      );
    }
    const iou = float32Output(out, 'iou_predictions', graph);
    const lowRes = float32Output(out, 'low_res_masks', graph);
    const lowResSize = { height: lowRes.dims[2] ?? maskSize, width: lowRes.dims[3] ?? maskSize };
    const count = iou.dims[1] ?? iou.data.length;
    // Which mask each low-res plane is: those upscale_masks named (−1 resolved by the graph), else all of them.
    const selected = out[UPSCALED_MASKS_OUTPUT];
    const planes = selected ? Array.from(selected.data as BigInt64Array, Number) : Array.from({ length: lowRes.dims[1] ?? count }, (_, i) => i);
    return { iou: iou.data, lowRes: lowRes.data, count, maskSize, lowResSize, planes };
  }

  /**
   * The token rows and columns the staged decoder upsamples: the whole grid, or with `cropToImage`
   * those whose low-res cells the masks read (gridExtentRead).
   */
  #upscaleGrid(encoding: ImageEncoding, embeddings: Tensor, maskSize: number, cropToImage: boolean): Tensor {
    const grid = { rows: embeddings.dims[2]!, cols: embeddings.dims[3]! };
    const { rows, cols } = cropToImage ? gridExtentRead(this.#maskGeometry(encoding), maskSize, grid) : grid;
    return createTensor('int64', [2], BigInt64Array.of(BigInt(rows), BigInt(cols)));
  }

  /**
   * What every point or box prompt on `encoding` shares, done ahead (see `EncodeOptions.prepare`):
   * clicks at the centre, whose results are dropped, run SAM's neck and the decoder's image-only
   * prefix (both kept with the encoding) and the per-click session's first runs (see
   * PREPARE_CLICKS), which would otherwise fall on the user's first clicks.
   */
  async #prepareSegment(encoding: ImageEncoding): Promise<void> {
    const { width, height } = encoding.originalSize;
    const centre: SamPrompt = { points: [{ x: width / 2, y: height / 2, label: 'foreground' }] };
    // As an interactive click runs (the best mask only), so the session's buffers fit the user's clicks.
    for (let run = 0; run < PREPARE_CLICKS; run++) await this.#decode(encoding, centre, false, [BEST_MULTIMASK]);
  }

  /**
   * Prompted segmentation (points, a box, a previous low-res mask). With `multimask` the three
   * multimask outputs come back and `best` is the highest predicted IoU, as SamPredictor.
   */
  async segment(image: ImageInput | ImageEncoding, prompt: SamPrompt, options: SegmentOptions = {}): Promise<SegmentResult> {
    this.#graph('prompt_decoder', 'Segmentation');
    // The prompt is checked against the image size before the encoder runs.
    const pixels = image instanceof ImageEncoding ? image : await loadImage(image, this.#limits);
    const inputs = this.#promptInputs(pixels instanceof ImageEncoding ? pixels.originalSize : { width: pixels.width, height: pixels.height }, prompt);
    const encoding = await this.encode(pixels);
    const withLowRes = options.lowResLogits ?? true;
    const multimask = options.multimask ?? true;
    // Only the masks returned are upsampled; with bestOnly the graph picks the best multimask output.
    const wanted = multimask ? (options.bestOnly ? [BEST_MULTIMASK] : [1, 2, 3]) : [0];
    const { iou, lowRes, count, maskSize, lowResSize, planes } = await this.#decode(encoding, inputs, !withLowRes, wanted);
    // Meta's export puts the single-mask output first, then the three multimask outputs.
    const candidates = count === 1 ? [0] : multimask ? [1, 2, 3].filter((i) => i < count) : [0];
    const graphChoice = options.bestOnly && planes.length === 1 && candidates.includes(planes[0]!) ? planes[0] : undefined;
    const indices = options.bestOnly ? [graphChoice ?? candidates[argmax(candidates.map((i) => iou[i]!))]!] : candidates;
    const geometry = this.#maskGeometry(encoding);
    const result: SegmentResult = { masks: [], scores: [], best: 0, lowResLogits: [] };
    if (options.returnLogits) result.logits = [];
    for (const index of indices) {
      const plane = paddedMaskPlane(lowRes, planes.indexOf(index), lowResSize.height, lowResSize.width, maskSize);
      if (result.logits) {
        const logits = maskLogitsToImage(plane, geometry);
        result.masks.push(thresholdMap(logits, 0));
        result.logits.push(logits);
      } else {
        // Without logits to return, only the pixels near the mask's boundary are resampled.
        result.masks.push(maskFromLogits(plane, geometry, 0).mask);
      }
      result.scores.push(iou[index]!);
      if (withLowRes) result.lowResLogits.push({ width: maskSize, height: maskSize, data: Float32Array.from(plane.data) });
    }
    result.best = argmax(result.scores);
    return result;
  }

  // ---------------------------------------------------------------- CLIP

  async #tokenizerInstance(): Promise<ClipTokenizer> {
    this.#tokenizer ??= (async () => {
      const entry = this.bundle.manifest.tokenizer;
      if (!entry) throw new SamClipError('MANIFEST_INVALID', `bundle "${this.bundle.name}" has a text encoder but no tokenizer.`);
      const vocab = await this.bundle.readTokenizerVocab();
      try {
        return ClipTokenizer.fromVocabBytes(vocab, {
          contextLength: entry.contextLength,
          padToken: entry.padToken,
          startToken: entry.startToken,
          endToken: entry.endToken,
        });
      } catch (error) {
        // A vocab the tokenizer cannot use is the bundle's fault, not the caller's.
        if (error instanceof PromptError) {
          throw new SamClipError('MANIFEST_INVALID', `bundle "${this.bundle.name}" tokenizer: ${error.message}`, { ...error.details, file: entry.vocab.file }, { cause: error });
        }
        throw error;
      }
    })();
    this.#tokenizer.catch(() => (this.#tokenizer = undefined));
    return this.#tokenizer;
  }

  /** Raw (not normalised) text embeddings, batched and cached by text. */
  async #textEmbeddingsRaw(texts: readonly string[]): Promise<Float32Array[]> {
    const graph = this.#graph('text_encoder', 'Text embedding');
    const missing = [...new Set(texts.filter((t) => !this.#textCache.has(t)))];
    const fresh = new Map<string, Float32Array>();
    if (missing.length > 0) {
      const tokenizer = await this.#tokenizerInstance();
      const L = tokenizer.contextLength;
      const batch = 32;
      for (let start = 0; start < missing.length; start += batch) {
        const chunk = missing.slice(start, start + batch);
        let ids: BigInt64Array;
        try {
          ids = tokenizer.encodeBatchInt64(chunk, L);
        } catch (error) {
          promptError(error);
        }
        const out = await this.#runner.run(graph, { input_ids: createTensor('int64', [chunk.length, L], ids) }, ['text_embeds']);
        const embeds = float32Output(out, 'text_embeds', graph);
        const dim = embeds.dims[1]!;
        chunk.forEach((text, row) => fresh.set(text, embeds.data.slice(row * dim, (row + 1) * dim)));
      }
      if (this.#textCacheSize > 0) {
        for (const [text, embedding] of fresh) {
          this.#textCache.set(text, embedding);
          if (this.#textCache.size > this.#textCacheSize) this.#textCache.delete(this.#textCache.keys().next().value as string);
        }
      }
    }
    return texts.map((text) => (this.#textCache.get(text) ?? fresh.get(text))!);
  }

  /** Unit-length CLIP text embeddings, one per text. */
  async embedText(texts: string | readonly string[]): Promise<Float32Array[]> {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0) throw new SamClipError('INVALID_ARGUMENT', 'embedText needs at least one text.');
    return (await this.#textEmbeddingsRaw(list)).map(l2Normalize);
  }

  /** The unit-length CLIP image embedding. */
  async embedImage(image: ImageInput | ImageEncoding): Promise<Float32Array> {
    this.#clipImageGraph('Image embedding');
    const encoding = await this.encode(image);
    return l2Normalize((await this.#clipImageOutputs(encoding, 'center')).imageEmbeds);
  }

  #clipImageGraph(task: string): string {
    return this.kind === 'sam-clip' ? this.#graph('clip_head', task) : this.#graph('clip_image_encoder', task);
  }

  /** Zero-shot class embeddings (unit rows): templates filled per label, embedded, averaged. */
  async #classEmbeddings(labels: readonly ClassNames[], templates: TemplateSpec | undefined): Promise<{ embeddings: Float32Array; dim: number }> {
    let expanded;
    try {
      const bundleTemplates = this.bundle.manifest.templates ?? {};
      const spec = templates ?? (bundleTemplates.default ? 'default' : 'single');
      expanded = expandTemplates(labels, resolveTemplates(spec, bundleTemplates));
    } catch (error) {
      promptError(error);
    }
    const raw = await this.#textEmbeddingsRaw(expanded.texts);
    const dim = raw[0]!.length;
    const matrix = new Float32Array(raw.length * dim);
    raw.forEach((row, i) => matrix.set(row, i * dim));
    try {
      return { embeddings: ensembleEmbeddings(matrix, dim, expanded.classIndex, expanded.numClasses), dim };
    } catch (error) {
      promptError(error);
    }
  }

  /** Zero-shot classification: softmax over logitScale · cosine(image, class). */
  async classify(image: ImageInput | ImageEncoding, labels: readonly string[], options: ClassifyOptions = {}): Promise<ClassifyResult> {
    checkLabels(labels, 'classify');
    this.#clipImageGraph('Classification');
    this.#graph('text_encoder', 'Classification');
    const topK = options.topK ?? labels.length;
    if (!Number.isInteger(topK) || topK < 1) throw new SamClipError('INVALID_ARGUMENT', `topK must be a whole number ≥ 1, got ${topK}.`);
    const imageEmbedding = await this.embedImage(image);
    const { embeddings, dim } = await this.#classEmbeddings(labels, options.templates);
    const logits = labels.map((_, c) => this.#logitScale * dot(imageEmbedding, 0, embeddings, c * dim, dim));
    const probabilities = softmax(logits);
    const ranked = labels.map((label, index) => ({ label, index, score: probabilities[index]!, logit: logits[index]! })).sort((a, b) => b.score - a.score);
    return { top: ranked.slice(0, topK), probabilities };
  }

  // ---------------------------------------------------------------- semantic segmentation

  /**
   * Zero-shot semantic segmentation from CLIP's dense features: per-class logits on the feature
   * grid, upsampled to the image, argmax per pixel. `refine: 'sam'` prompts SAM per class with the
   * CLIP map as a mask prompt plus up to 3 high-scoring points and takes the argmax of SAM's logits.
   */
  async segmentSemantic(image: ImageInput | ImageEncoding, labels: readonly string[], options: SegmentSemanticOptions = {}): Promise<SemanticResult> {
    checkLabels(labels, 'segmentSemantic');
    this.#clipImageGraph('Semantic segmentation');
    this.#graph('text_encoder', 'Semantic segmentation');
    const refine = options.refine ?? 'none';
    if (refine !== 'none' && refine !== 'sam') throw new SamClipError('INVALID_ARGUMENT', `refine must be "none" or "sam", got ${JSON.stringify(refine)}.`);
    if (refine === 'sam') this.#graph('prompt_decoder', 'SAM refinement');
    const background = options.background === true ? 'background' : typeof options.background === 'string' ? options.background : undefined;
    if (background !== undefined && background.trim() === '') throw new SamClipError('INVALID_ARGUMENT', 'The background class name must not be empty.');
    const classes = background === undefined ? [...labels] : [...labels, background];

    const encoding = await this.encode(image);
    const grid = await this.#denseGrid(encoding);
    const { embeddings } = await this.#classEmbeddings(classes, options.templates);
    const gridLogits = classLogitMaps(grid, embeddings, classes.length, this.#logitScale);
    const cells = grid.width * grid.height;

    // Softmax over classes per cell: scores and mask prompts start from probabilities.
    const gridProbs = classes.map(() => new Float32Array(cells));
    let onImageCells = 0;
    const scoreSums = new Float64Array(classes.length);
    for (let i = 0; i < cells; i++) {
      const probs = softmax(gridLogits.map((map) => map[i]!));
      probs.forEach((p, c) => (gridProbs[c]![i] = p));
      if (cellOnImage(grid, i % grid.width, Math.floor(i / grid.width))) {
        onImageCells++;
        probs.forEach((p, c) => (scoreSums[c] = scoreSums[c]! + p));
      }
    }

    const { width, height } = encoding.originalSize;
    const pixels = width * height;
    const labelMap = new Uint16Array(pixels);
    const bestLogit = new Float32Array(pixels).fill(-Infinity);
    gridLogits.forEach((map, c) => {
      const up = gridMapToImage(grid, map).data;
      for (let i = 0; i < pixels; i++) {
        if (up[i]! > bestLogit[i]!) {
          bestLogit[i] = up[i]!;
          labelMap[i] = c;
        }
      }
    });

    if (refine === 'sam') await this.#refineWithSam(encoding, grid, gridProbs, labelMap, classes.length, background === undefined ? classes.length : classes.length - 1);

    const areas = new Float64Array(classes.length);
    const masks = classes.map(() => ({ width, height, data: new Uint8Array(pixels) }));
    for (let i = 0; i < pixels; i++) {
      const c = labelMap[i]!;
      areas[c] = areas[c]! + 1;
      masks[c]!.data[i] = 1;
    }
    return {
      labels: classes,
      labelMap: { width, height, data: labelMap },
      classes: classes.map((label, index) => ({ label, index, area: areas[index]!, score: onImageCells > 0 ? scoreSums[index]! / onImageCells : 0 })),
      masks,
    };
  }

  /** Overwrites `labelMap` where SAM, prompted per present class, is confident. Classes ≥ refinable (background) are not prompted. */
  async #refineWithSam(encoding: ImageEncoding, grid: DenseGrid, gridProbs: Float32Array[], labelMap: Uint16Array, numClasses: number, refinable: number): Promise<void> {
    const decoderGraph = this.#graph('prompt_decoder', 'SAM refinement');
    const maskSize = this.#configValue('maskInputSize', decoderGraph);
    const geometry = this.#maskGeometry(encoding);
    const cells = grid.width * grid.height;
    // Which class wins each on-image cell decides which classes are present and where their points go.
    const cellWinner = new Int32Array(cells).fill(-1);
    for (let i = 0; i < cells; i++) {
      if (!cellOnImage(grid, i % grid.width, Math.floor(i / grid.width))) continue;
      cellWinner[i] = argmax(gridProbs.map((p) => p[i]!));
    }
    const pixels = labelMap.length;
    const bestSam = new Float32Array(pixels).fill(0);
    const refined = new Uint16Array(labelMap);
    const minSpacing = Math.max(1, Math.round(Math.max(grid.width, grid.height) / 8));
    for (let c = 0; c < Math.min(numClasses, refinable); c++) {
      const candidates: number[] = [];
      for (let i = 0; i < cells; i++) if (cellWinner[i] === c) candidates.push(i);
      if (candidates.length === 0) continue;
      candidates.sort((a, b) => gridProbs[c]![b]! - gridProbs[c]![a]!);
      const chosen: number[] = [];
      for (const cell of candidates) {
        const far = chosen.every((o) => Math.max(Math.abs((o % grid.width) - (cell % grid.width)), Math.abs(Math.floor(o / grid.width) - Math.floor(cell / grid.width))) >= minSpacing);
        if (far) chosen.push(cell);
        if (chosen.length === 3) break;
      }
      const points = chosen.map((cell) => {
        const { x, y } = cellCenterInImage(grid, cell % grid.width, Math.floor(cell / grid.width));
        return { x: Math.min(x, encoding.originalSize.width - 1), y: Math.min(y, encoding.originalSize.height - 1), label: 'foreground' as const };
      });
      // The class probability as mask logits (log-odds, clamped to SAM's usual range).
      const logOdds = gridProbs[c]!.map((p) => Math.max(-20, Math.min(20, Math.log(Math.max(p, 1e-9) / Math.max(1 - p, 1e-9)))));
      const maskInput = gridMapToMaskInput(grid, logOdds, maskSize, -20);
      const { lowRes } = await this.#decode(encoding, { points, mask: { width: maskSize, height: maskSize, data: maskInput } }, false, [0]);
      const logits = maskLogitsToImage(maskPlane(lowRes, 0, maskSize, maskSize), geometry).data;
      for (let i = 0; i < pixels; i++) {
        if (logits[i]! > bestSam[i]!) {
          bestSam[i] = logits[i]!;
          refined[i] = c;
        }
      }
    }
    labelMap.set(refined);
  }

  // ---------------------------------------------------------------- automatic masks

  /**
   * Automatic mask generation as SAM's generator on one crop: a grid of single-point prompts,
   * multimask outputs filtered by predicted IoU and stability, box NMS, COCO RLE. Stability and
   * the NMS boxes come from the low-res logits over the image region, so only surviving masks are
   * upsampled to full size (SAM's generator upsamples every candidate first). With `labels`, each
   * mask is named by CLIP from the dense features under it, from the same encoding.
   */
  async segmentEverything(image: ImageInput | ImageEncoding, options: SegmentEverythingOptions = {}): Promise<EverythingMask[]> {
    this.#graph('prompt_decoder', 'segmentEverything');
    const pointsPerSide = options.pointsPerSide ?? 16;
    if (!Number.isInteger(pointsPerSide) || pointsPerSide < 1 || pointsPerSide > 128) {
      throw new SamClipError('INVALID_ARGUMENT', `pointsPerSide must be a whole number in [1, 128], got ${pointsPerSide}.`);
    }
    const predIou = checkThreshold('predIouThreshold', options.predIouThreshold ?? 0.88, -Infinity, Infinity);
    const stabilityMin = checkThreshold('stabilityScoreThreshold', options.stabilityScoreThreshold ?? 0.95, 0, 1);
    const stabilityOffset = checkThreshold('stabilityScoreOffset', options.stabilityScoreOffset ?? 1, 0, Infinity);
    const nmsThreshold = checkThreshold('boxNmsThreshold', options.boxNmsThreshold ?? 0.7, 0, 1);
    const minArea = checkThreshold('minMaskArea', options.minMaskArea ?? 0, 0, Infinity);
    const labels = options.labels === undefined ? undefined : checkLabels(options.labels, 'segmentEverything labels');
    if (labels) {
      this.#clipImageGraph('Mask labelling');
      this.#graph('text_encoder', 'Mask labelling');
    }

    const grid = buildPointGrid(pointsPerSide);
    const total = grid.length / 2;
    const cancelled = (done: number, stage: string): SamClipError =>
      new SamClipError('CANCELLED', `segmentEverything was cancelled while ${stage}.`, { done, total, stage });
    if (options.signal?.aborted) throw cancelled(0, 'starting');
    const encoding = await untilAborted(this.encode(image), options.signal, () => cancelled(0, 'encoding the image'));
    const geometry = this.#maskGeometry(encoding);
    const { width, height } = encoding.originalSize;
    options.onProgress?.(0, total);

    interface Candidate {
      lowRes: FloatMap;
      iou: number;
      stability: number;
      point: { x: number; y: number };
      /** Box of the low-res mask in image pixels, for NMS before any full-size work. */
      box: BoxXYXY;
    }
    const candidates: Candidate[] = [];
    // Image pixels per low-res cell along each axis (low-res cells cover the padded S×S input).
    const cellX = (geometry.imageSize * width) / encoding.inputSize.width;
    const cellY = (geometry.imageSize * height) / encoding.inputSize.height;
    for (let p = 0; p < total; p++) {
      if (options.signal?.aborted) throw cancelled(p, 'decoding the point grid');
      const point = { x: grid[p * 2]! * width, y: grid[p * 2 + 1]! * height };
      const { iou, lowRes, count, maskSize, planes } = await this.#decode(encoding, { points: [{ ...point, label: 'foreground' }] }, false, [1, 2, 3]);
      // Low-res cells over the resized image (the rest is padding).
      const validW = Math.min(maskSize, Math.ceil((encoding.inputSize.width * maskSize) / geometry.imageSize));
      const validH = Math.min(maskSize, Math.ceil((encoding.inputSize.height * maskSize) / geometry.imageSize));
      for (const k of count === 1 ? [0] : [1, 2, 3].filter((i) => i < count)) {
        if (!(iou[k]! > predIou)) continue;
        const plane = maskPlane(lowRes, planes.indexOf(k), maskSize, maskSize);
        const valid = new Float32Array(validW * validH);
        for (let y = 0; y < validH; y++) valid.set(plane.data.subarray(y * maskSize, y * maskSize + validW), y * validW);
        const stability = stabilityScore(valid, 0, stabilityOffset);
        if (stability < stabilityMin) continue;
        const lowBox = maskStats(thresholdMap({ width: validW, height: validH, data: valid }, 0)).bbox;
        if (lowBox[2] === 0) continue;
        const box: BoxXYXY = [
          (lowBox[0] * cellX) / maskSize,
          (lowBox[1] * cellY) / maskSize,
          Math.min(width, ((lowBox[0] + lowBox[2]) * cellX) / maskSize) - 1,
          Math.min(height, ((lowBox[1] + lowBox[3]) * cellY) / maskSize) - 1,
        ];
        candidates.push({ lowRes: { width: maskSize, height: maskSize, data: Float32Array.from(plane.data) }, iou: iou[k]!, stability, point, box });
      }
      options.onProgress?.(p + 1, total);
    }

    let labelFor: ((mask: BinaryMask, bbox: readonly [number, number, number, number]) => LabelScore) | undefined;
    if (labels && candidates.length > 0) {
      const dense = await untilAborted(this.#denseGrid(encoding), options.signal, () => cancelled(total, 'embedding the labels'));
      const { embeddings, dim } = await untilAborted(this.#classEmbeddings(labels, options.templates), options.signal, () => cancelled(total, 'embedding the labels'));
      labelFor = (mask, bbox) => {
        const pooled = new Float32Array(dim);
        let used = 0;
        let nearest = -1;
        let nearestDistance = Infinity;
        const cx = bbox[0] + bbox[2] / 2;
        const cy = bbox[1] + bbox[3] / 2;
        for (let row = 0; row < dense.height; row++) {
          for (let column = 0; column < dense.width; column++) {
            const { x, y } = cellCenterInImage(dense, column, row);
            const px = Math.floor(x);
            const py = Math.floor(y);
            const cell = row * dense.width + column;
            if (px < width && py < height) {
              const distance = (x - cx) ** 2 + (y - cy) ** 2;
              if (distance < nearestDistance) {
                nearestDistance = distance;
                nearest = cell;
              }
              if (mask.data[py * width + px]) {
                used++;
                for (let k = 0; k < dim; k++) pooled[k] = pooled[k]! + dense.embeddings[cell * dim + k]!;
              }
            }
          }
        }
        // A mask smaller than a cell covers no cell centre: use the cell nearest its box centre.
        if (used === 0 && nearest >= 0) pooled.set(dense.embeddings.subarray(nearest * dim, (nearest + 1) * dim));
        const unit = l2Normalize(pooled);
        const logits = labels.map((_, c) => this.#logitScale * dot(unit, 0, embeddings, c * dim, dim));
        const probs = softmax(logits);
        const index = argmax(probs);
        return { label: labels[index]!, index, score: probs[index]!, logit: logits[index]! };
      };
    }

    // NMS on low-res boxes first, so only the masks that survive are upsampled to full size; each
    // full-size mask is turned into its record at once, so at most one is held unless returned.
    const order = nonMaxSuppression(candidates.map((c) => c.box), candidates.map((c) => c.iou), nmsThreshold);
    const records: EverythingMask[] = [];
    for (const index of order) {
      if (options.signal?.aborted) throw cancelled(total, 'resampling the masks');
      const candidate = candidates[index]!;
      const { mask, area, bbox } = maskFromLogits(candidate.lowRes, geometry, 0);
      if (area === 0 || area < minArea) continue;
      const record: EverythingMask = { rle: encodeRleString(mask, bbox), area, bbox, predictedIou: candidate.iou, stabilityScore: candidate.stability, point: candidate.point };
      if (options.returnMasks) record.mask = mask;
      if (labelFor) record.label = labelFor(mask, bbox);
      records.push(record);
    }
    return records;
  }

  /** Forgets cached encodings and text embeddings (sessions stay open). */
  clearCaches(): void {
    this.#cache.clear();
    this.#textCache.clear();
  }

  /** Releases every session; the model cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.clearCaches();
    await this.#runner.dispose();
  }
}
