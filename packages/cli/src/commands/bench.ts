import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { preprocessForSam, resampleMethod, SamClipError } from '@samclip/core';
import type { RgbImage, SamClip } from '@samclip/core';
import type { CliContext } from '../context.js';
import { formatBytes } from '../format.js';
import { addModelOptions, defaultModelLocation, openModel, parseLabels, parseWholeNumber, readBundleTestImage, readInputImage, round } from './task-support.js';

interface BenchCommandOptions {
  model?: string[];
  baseline?: string;
  backend: string;
  variant?: string;
  maxPixels?: string;
  runs: string;
  warmup: string;
  prompts: string;
  labels: string;
  image?: string;
  json?: boolean;
  /** false with --no-clip: time only the SAM stages (encoder, prompts). */
  clip: boolean;
  rawEngine?: boolean;
  /** Encode with `prepare: 'segment'`: the SAM neck and the decoder's image-only stage count as encoding, not as the first prompt. */
  prepare?: boolean;
  /** Clicks also return their low-res logits, so the decoder upsamples the whole token grid. */
  lowResLogits?: boolean;
}

/** The stages of getting masks and labels for one image, in the order they run. */
const STAGES = [
  ['encode', 'image encoder'],
  // Process CPU time (every engine thread): what other processes' load does not inflate, unlike wall time.
  ['encodeCpu', 'image encoder, CPU time'],
  ['firstPrompt', 'first prompt → best mask (+ SAM neck)'],
  // Summarises every timed prompt after each run's first, not one figure per run: the median click.
  ['decodePerPrompt', 'prompt → best mask, per prompt'],
  ['clipImage', 'CLIP image (head or encoder)'],
  ['textPerLabel', 'text encoder, per label'],
  ['total', 'masks + labels, total'],
] as const;
type StageKey = (typeof STAGES)[number][0];
type ClipStageKey = 'clipImage' | 'textPerLabel';
const CLIP_STAGES: ReadonlySet<StageKey> = new Set<ClipStageKey>(['clipImage', 'textPerLabel']);
/** Every stage, except the CLIP ones under --no-clip. */
export type BenchStages = Record<Exclude<StageKey, ClipStageKey>, StageStats> & Partial<Record<ClipStageKey, StageStats>>;

export interface StageStats {
  median: number;
  min: number;
  max: number;
  mean: number;
  /** How many timings these summarise (runs, or prompts for `decodePerPrompt`). */
  count: number;
}

export interface BundleBench {
  model: string;
  name: string;
  kind: string;
  backend: string;
  variants: Record<string, string>;
  loadMs: number;
  /** Load plus the first (warm-up) run: what one image costs in a fresh process. */
  coldMs: number;
  stages: BenchStages;
  /** Encoded with `prepare: 'segment'` (--prepare): the SAM neck and the decoder's image-only stage are in `encode`, not in `firstPrompt`. */
  prepared: boolean;
  /** Highest resident set size while this bundle loaded and ran (sampled, and getrusage's high-water mark when this bundle raised it). */
  peakRssBytes: number;
  /** Peak minus the resident set size just before the bundle loaded. */
  rssGrowthBytes: number;
  /** The process's own high-water mark after this bundle (getrusage: what `/usr/bin/time -v` reports). */
  processMaxRssBytes: number;
  /** With --raw-engine: the encoder's graph as exported, on the bare engine, in a child process. */
  raw?: RawEncoderBench;
}

export interface RawEncoderBench {
  /** onnxruntime-node or onnxruntime-web. */
  engine: string;
  /** Graph and variant timed (the default variant: the graph as exported). */
  graph: string;
  variant: string;
  loadMs: number;
  encode: StageStats;
  /** Process CPU time per run (every engine thread). */
  encodeCpu: StageStats;
  /** The child process's high-water mark (getrusage). */
  processMaxRssBytes: number;
}

const DEFAULT_LABELS = 'cat,dog,car,tree,sky,road,person,building';

function stats(values: readonly number[]): StageStats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { median: round(median, 2), min: round(sorted[0]!, 2), max: round(sorted[sorted.length - 1]!, 2), mean: round(mean, 2), count: sorted.length };
}

/**
 * The peak resident set size while a bundle loads and runs: RSS sampled every few milliseconds,
 * and getrusage's high-water mark when it rose meanwhile. onnxruntime-node's `run` holds the
 * thread, so no sample is taken during an encoder run, when memory peaks; the high-water mark
 * covers it, but only when this bundle set it (it never falls for a later one).
 */
function rssSampler(): { stop(): number } {
  const highWaterBefore = process.resourceUsage().maxRSS * 1024;
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const highWater = process.resourceUsage().maxRSS * 1024;
      return Math.max(peak, process.memoryUsage.rss(), highWater > highWaterBefore ? highWater : 0);
    },
  };
}

/** Points spread over the middle row of the image, one per prompt. */
function benchPoints(image: RgbImage, count: number): Array<{ x: number; y: number; label: 'foreground' }> {
  return Array.from({ length: count }, (_, i) => ({ x: (image.width * (i + 1)) / (count + 1), y: image.height / 2, label: 'foreground' as const }));
}

/** One run's time per stage, and each prompt's after the first (which also runs the SAM neck). */
interface RunTimes {
  stages: Record<Exclude<StageKey, 'decodePerPrompt'>, number>;
  promptMs: number[];
}

async function oneRun(model: SamClip, image: RgbImage, prompts: number, labels: readonly string[], settings: { clip: boolean; prepare: boolean; lowResLogits: boolean }): Promise<RunTimes> {
  const { clip, prepare } = settings;
  // Nothing cached between runs: every run pays for the encoder and the text encoder.
  model.clearCaches();
  const points = benchPoints(image, prompts);
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const elapsed = now - t;
    t = now;
    return elapsed;
  };
  const cpuBefore = process.cpuUsage();
  const encoding = await model.encode(image, prepare ? { prepare: 'segment' } : {});
  const encode = lap();
  const cpu = process.cpuUsage(cpuBefore);
  const encodeCpu = (cpu.user + cpu.system) / 1000;
  // One click → one mask: SamPredictor's three candidates, the best-scoring one at full size
  // (without the low-res logits unless asked: an interactive click needs only the mask).
  const segmentOptions = { multimask: true, bestOnly: true, lowResLogits: settings.lowResLogits };
  await model.segment(encoding, { points: [points[0]!] }, segmentOptions);
  const firstPrompt = lap();
  const promptMs: number[] = [];
  for (const point of points.slice(1)) {
    await model.segment(encoding, { points: [point] }, segmentOptions);
    promptMs.push(lap());
  }
  const decodeAll = promptMs.reduce((sum, ms) => sum + ms, 0);
  let clipImage = 0;
  let classify = 0;
  if (clip) {
    await model.embedImage(encoding);
    clipImage = lap();
    await model.classify(encoding, labels);
    classify = lap();
  }
  encoding.dispose();
  return {
    stages: { encode, encodeCpu, firstPrompt, clipImage, textPerLabel: classify / labels.length, total: encode + firstPrompt + decodeAll + clipImage + classify },
    // With one prompt per image there is no later one: the first stands for it.
    promptMs: prompts > 1 ? promptMs : [firstPrompt],
  };
}

interface BenchSettings {
  runs: number;
  warmup: number;
  prompts: number;
  labels: string[];
  clip: boolean;
  prepare: boolean;
  lowResLogits: boolean;
}

async function benchBundle(context: CliContext, location: string, options: BenchCommandOptions, image: RgbImage, settings: BenchSettings): Promise<BundleBench> {
  const rssBefore = process.memoryUsage.rss();
  const sampler = rssSampler();
  const loadStart = performance.now();
  let model: SamClip | undefined;
  try {
    model = await openModel(context, { ...options, model: location });
    const loadMs = performance.now() - loadStart;
    // Checked before any run, so a backend without a bare counterpart fails at once.
    const rawTarget = options.rawEngine ? rawEngineFor(model) : undefined;
    const samples: RunTimes[] = [];
    let coldMs = 0;
    for (let run = 0; run < settings.warmup + settings.runs; run++) {
      const result = await oneRun(model, image, settings.prompts, settings.labels, settings);
      if (run === 0) coldMs = loadMs + result.stages.total;
      if (run >= settings.warmup) samples.push(result);
    }
    const stageStats = ([key]: (typeof STAGES)[number]): [StageKey, StageStats] =>
      [key, stats(key === 'decodePerPrompt' ? samples.flatMap((s) => s.promptMs) : samples.map((s) => s.stages[key]))];
    const stages = Object.fromEntries(STAGES.filter(([key]) => settings.clip || !CLIP_STAGES.has(key)).map(stageStats)) as BenchStages;
    const result = { model: location, name: model.bundle.name, kind: model.kind, backend: model.backendName, variants: model.variants(), loadMs: round(loadMs, 1), coldMs: round(coldMs, 1), stages, prepared: settings.prepare };
    const bundle = model.bundle;
    await model.dispose();
    model = undefined;
    const peak = sampler.stop();
    const bench: BundleBench = { ...result, peakRssBytes: peak, rssGrowthBytes: Math.max(0, peak - rssBefore), processMaxRssBytes: process.resourceUsage().maxRSS * 1024 };
    if (rawTarget) bench.raw = await benchRawEncoder(bundle, rawTarget, image, settings);
    return bench;
  } finally {
    sampler.stop();
    await model?.dispose();
  }
}

/** The bare engine under a samclip backend, and the encoder graph to time on it. */
interface RawTarget {
  engine: 'onnxruntime-node' | 'onnxruntime-web';
  graph: string;
}

function rawEngineFor(model: SamClip): RawTarget {
  const engines: Record<string, RawTarget['engine']> = { 'ort-node': 'onnxruntime-node', 'ort-wasm': 'onnxruntime-web' };
  const engine = engines[model.backendName];
  if (!engine) {
    throw new SamClipError('UNSUPPORTED', `--raw-engine compares with onnxruntime-node (backend ort-node) or onnxruntime-web (ort-wasm); backend ${model.backendName} has no bare-engine counterpart here. Pass --backend ort-node or ort-wasm.`, {
      backend: model.backendName,
    });
  }
  const graph = model.bundle.graphsWithRole(model.kind === 'sam-clip' ? 'backbone' : model.kind === 'clip' ? 'clip_image_encoder' : 'sam_encoder')[0];
  if (!graph) throw new SamClipError('UNSUPPORTED', `bundle "${model.bundle.name}" has no image encoder graph to time on the bare engine.`);
  return { engine, graph };
}

/**
 * The child process that times the bare engine: a fresh process, so its peak memory is its own
 * and the samclip figures of this process are not inflated by a second copy of the weights. It
 * creates the session as samclip's ort backends do (memory arena off, all graph optimisations,
 * the engine's default threads) from the graph file, and times `session.run` alone.
 */
const RAW_ENGINE_SCRIPT = `
import { readFileSync } from 'node:fs';
const job = JSON.parse(process.argv[2]);
const imported = await import(job.engineUrl);
const ort = imported.default ?? imported;
if (job.wasmPaths) ort.env.wasm.wasmPaths = job.wasmPaths;
const loadStart = performance.now();
const session = await ort.InferenceSession.create(job.graphFile, {
  executionProviders: [job.wasmPaths ? 'wasm' : 'cpu'],
  enableCpuMemArena: false,
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
});
const loadMs = performance.now() - loadStart;
const bytes = readFileSync(job.inputFile);
const input = new ort.Tensor('float32', new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), job.dims);
const times = [];
const cpu = [];
for (let run = 0; run < job.warmup + job.runs; run++) {
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  await session.run({ [session.inputNames[0]]: input });
  const used = process.cpuUsage(cpuBefore);
  if (run >= job.warmup) {
    times.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
}
await session.release();
process.stdout.write(JSON.stringify({ loadMs, times, cpu, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
`;

async function benchRawEncoder(bundle: SamClip['bundle'], target: RawTarget, image: RgbImage, settings: BenchSettings): Promise<RawEncoderBench> {
  const variant = bundle.defaultVariant(target.graph);
  const sam = bundle.manifest.preprocess.sam;
  if (!sam || target.graph === 'clip_image_encoder') {
    throw new SamClipError('UNSUPPORTED', `--raw-engine times SAM's image encoder; bundle "${bundle.name}" has none.`);
  }
  const pre = preprocessForSam(image, { longestSide: sam.longestSide, mean: sam.mean, std: sam.std, resize: resampleMethod(sam.resize) });
  const require = createRequire(import.meta.url);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'samclip-bench-'));
  try {
    // The graph as the bundle stores it, with any external data beside it, so the engine reads it from disk.
    const graphFile = path.join(dir, 'encoder.onnx');
    await writeFile(graphFile, await bundle.readGraph(target.graph, variant));
    for (const [name, bytes] of await bundle.readExternalData(target.graph, variant)) {
      await writeFile(path.join(dir, name), bytes);
    }
    const inputFile = path.join(dir, 'pixel_values.bin');
    await writeFile(inputFile, new Uint8Array(pre.pixelValues.buffer, pre.pixelValues.byteOffset, pre.pixelValues.byteLength));
    const scriptFile = path.join(dir, 'raw-engine.mjs');
    await writeFile(scriptFile, RAW_ENGINE_SCRIPT);
    const job = {
      engineUrl: pathToFileURL(require.resolve(target.engine)).href,
      wasmPaths: target.engine === 'onnxruntime-web' ? pathToFileURL(path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + path.sep).href : undefined,
      graphFile,
      inputFile,
      dims: [...pre.dims],
      runs: settings.runs,
      warmup: settings.warmup,
    };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [scriptFile, JSON.stringify(job)], { maxBuffer: 1 << 20 }, (error, out, err) => {
        if (error) reject(new SamClipError('SESSION', `The bare ${target.engine} run of graph "${target.graph}" failed: ${String(err).trim() || error.message}`, { engine: target.engine }, { cause: error }));
        else resolve(out);
      });
    });
    const measured = JSON.parse(stdout) as { loadMs: number; times: number[]; cpu: number[]; maxRssBytes: number };
    return { engine: target.engine, graph: target.graph, variant, loadMs: round(measured.loadMs, 1), encode: stats(measured.times), encodeCpu: stats(measured.cpu), processMaxRssBytes: measured.maxRssBytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function formatMs(s: StageStats, withMean = false): string {
  const digits = s.median < 10 ? 2 : 1;
  return `${s.median.toFixed(digits)} ms (${s.min.toFixed(digits)}–${s.max.toFixed(digits)}${withMean ? `; mean ${s.mean.toFixed(digits)} of ${s.count}` : ''})`;
}

export function formatBenchTable(results: readonly BundleBench[]): string {
  const header = ['stage (median, min–max)', ...results.map((r) => `${r.name} (${r.kind})`)];
  const ratioHeader = results.length > 1 ? results.slice(1).map((r, i) => (results.length > 2 ? `ratio ${i + 2}/1` : 'ratio 2/1')) : [];
  const rows: string[][] = [[...header, ...ratioHeader]];
  const ratios = (value: (r: BundleBench) => number) => results.slice(1).map((r) => `${(value(r) / value(results[0]!)).toFixed(2)}×`);
  const dash = (): string => '–';
  for (const [key, stageLabel] of STAGES) {
    const label = key === 'firstPrompt' && results.every((r) => r.prepared) ? 'first prompt → best mask (prepared)' : stageLabel;
    const stage = (r: BundleBench): StageStats | undefined => (r.stages as Partial<Record<StageKey, StageStats>>)[key];
    if (!results.some(stage)) continue;
    const present = results.every(stage);
    rows.push([label, ...results.map((r) => { const s = stage(r); return s ? formatMs(s, key === 'decodePerPrompt') : dash(); }), ...(present ? ratios((r) => stage(r)!.median) : results.slice(1).map(dash))]);
  }
  if (results.some((r) => r.raw)) {
    const rawOf = (r: BundleBench): string => (r.raw ? `${formatMs(r.raw.encode)} ${r.raw.engine}, ${r.raw.graph}.${r.raw.variant}` : dash());
    rows.push(['image encoder, bare engine', ...results.map(rawOf), ...results.slice(1).map(dash)]);
    rows.push(['image encoder, bare engine, CPU time', ...results.map((r) => (r.raw ? formatMs(r.raw.encodeCpu) : dash())), ...results.slice(1).map(dash)]);
    const ratio = (r: BundleBench): string =>
      r.raw ? `wall ${(r.stages.encode.median / r.raw.encode.median).toFixed(3)}×, CPU ${(r.stages.encodeCpu.median / r.raw.encodeCpu.median).toFixed(3)}×` : dash();
    rows.push(['image encoder ÷ bare engine', ...results.map(ratio), ...results.slice(1).map(dash)]);
    rows.push(['bare engine process peak RSS', ...results.map((r) => (r.raw ? formatBytes(r.raw.processMaxRssBytes) : dash())), ...results.slice(1).map(dash)]);
  }
  rows.push(['load', ...results.map((r) => `${r.loadMs.toFixed(1)} ms`), ...ratios((r) => r.loadMs)]);
  rows.push(['load + first image (cold)', ...results.map((r) => `${r.coldMs.toFixed(1)} ms`), ...ratios((r) => r.coldMs)]);
  rows.push(['peak RSS', ...results.map((r) => formatBytes(r.peakRssBytes)), ...ratios((r) => r.peakRssBytes)]);
  rows.push(['RSS growth while loaded', ...results.map((r) => formatBytes(r.rssGrowthBytes)), ...ratios((r) => Math.max(1, r.rssGrowthBytes))]);
  // getrusage's high-water mark only rises: after the first column it covers the earlier ones too.
  rows.push(['process peak RSS so far (getrusage)', ...results.map((r) => formatBytes(r.processMaxRssBytes)), ...results.slice(1).map(dash)]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return `${rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()).join('\n')}\n`;
}

export function registerBenchCommand(program: Command, context: CliContext): void {
  const command = program
    .command('bench')
    .description('time getting masks and labels for one image from one or more bundles, side by side: encoder, prompt decoder per prompt, CLIP image, text encoder per label, total; peak memory')
    .option('--baseline <bundle>', 'a second bundle to compare with (same as a second --model)')
    .option('--runs <n>', 'timed runs per bundle (after the warm-up)', '5')
    .option('--warmup <n>', 'untimed runs first (session creation, caches)', '1')
    .option('--prompts <n>', 'point prompts decoded per image', '4')
    .option('--labels <a,b,c>', 'labels classified per image', DEFAULT_LABELS)
    .option('--image <file>', 'image to use (default: the default model\'s stored test image)')
    .option('--no-clip', 'time only the SAM stages (encoder, prompts), so peak memory is that of segmentation')
    .option('--prepare', "encode with prepare: 'segment', so the SAM neck and the prompt decoder's image-only stage count as encoding, not as the first prompt")
    .option('--low-res-logits', 'clicks also return their low-res logits (what refining a mask with prompt.mask needs), so the decoder upsamples the whole token grid instead of the image\'s part')
    .option('--raw-engine', 'also time the encoder graph as exported on the bare engine (onnxruntime-node for ort-node, onnxruntime-web for ort-wasm) in a child process')
    .option('--json', 'print the measurements as JSON');
  addModelOptions(command, true);
  command.action(async (options: BenchCommandOptions) => {
    const settings = {
      runs: parseWholeNumber(options.runs, '--runs'),
      warmup: parseWholeNumber(options.warmup, '--warmup', 0),
      prompts: parseWholeNumber(options.prompts, '--prompts'),
      labels: parseLabels(options.labels),
      clip: options.clip,
      prepare: options.prepare === true,
      lowResLogits: options.lowResLogits === true,
    };
    const models = [...(options.model ?? []), ...(options.baseline !== undefined ? [options.baseline] : [])];
    if (models.length === 0) models.push(defaultModelLocation());
    let image: RgbImage | undefined;
    let imageSource = options.image;
    if (options.image !== undefined) {
      image = await readInputImage(options.image, options);
    } else {
      // The first model's stored test image, else the default model's.
      for (const location of [models[0]!, defaultModelLocation()]) {
        if (!existsSync(location)) continue;
        const dir = statSync(location).isDirectory() ? location : path.dirname(location);
        image = await readBundleTestImage(dir);
        if (image) {
          imageSource = path.join(dir, 'references', 'tasks.json');
          break;
        }
      }
    }
    if (!image) throw new SamClipError('NOT_FOUND', 'No test image stored in the bundles given; pass --image FILE.');

    // Backends register (and their engines load) before any bundle, so no column pays for it.
    await context.loadBackends();
    const results: BundleBench[] = [];
    for (const location of models) results.push(await benchBundle(context, location, options, image, settings));
    const out = context.io.stdout;
    if (options.json) {
      out.write(`${JSON.stringify({ image: { source: imageSource, width: image.width, height: image.height }, ...settings, processMaxRssBytes: process.resourceUsage().maxRSS * 1024, bundles: results }, null, 2)}\n`);
      return;
    }
    out.write(
      `samclip bench: ${settings.runs} runs after ${settings.warmup} warm-up, ${settings.prompts} prompts${settings.clip ? ` and ${settings.labels.length} labels` : ' (no CLIP)'} per image${settings.prepare ? " (encoded with prepare: 'segment')" : ''}${settings.lowResLogits ? ', clicks with low-res logits' : ''}, ${image.width}×${image.height} image, backend ${[...new Set(results.map((r) => r.backend))].join(', ')}\n`,
    );
    out.write(formatBenchTable(results));
  });
}
