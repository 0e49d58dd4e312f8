import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { SamClipError } from '@samclip/core';
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
}

/** The stages of getting masks and labels for one image, in the order they run. */
const STAGES = [
  ['encode', 'image encoder'],
  ['firstPrompt', 'first prompt (+ SAM neck)'],
  ['decodePerPrompt', 'prompt decoder, per prompt'],
  ['clipImage', 'CLIP image (head or encoder)'],
  ['textPerLabel', 'text encoder, per label'],
  ['total', 'masks + labels, total'],
] as const;
type StageKey = (typeof STAGES)[number][0];

export interface StageStats {
  median: number;
  min: number;
  max: number;
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
  stages: Record<StageKey, StageStats>;
  /** Highest resident set size sampled while this bundle loaded and ran. */
  peakRssBytes: number;
  /** Peak minus the resident set size just before the bundle loaded. */
  rssGrowthBytes: number;
}

const DEFAULT_LABELS = 'cat,dog,car,tree,sky,road,person,building';

function stats(values: readonly number[]): StageStats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median, 2), min: round(sorted[0]!, 2), max: round(sorted[sorted.length - 1]!, 2) };
}

/** Samples RSS every few milliseconds (the engines run off the event loop, so the timer keeps firing). */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/** Points spread over the middle row of the image, one per prompt. */
function benchPoints(image: RgbImage, count: number): Array<{ x: number; y: number; label: 'foreground' }> {
  return Array.from({ length: count }, (_, i) => ({ x: (image.width * (i + 1)) / (count + 1), y: image.height / 2, label: 'foreground' as const }));
}

async function oneRun(model: SamClip, image: RgbImage, prompts: number, labels: readonly string[]): Promise<Record<StageKey, number>> {
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
  const encoding = await model.encode(image);
  const encode = lap();
  await model.segment(encoding, { points: [points[0]!] }, { multimask: true });
  const firstPrompt = lap();
  for (const point of points.slice(1)) await model.segment(encoding, { points: [point] }, { multimask: true });
  const decodeAll = lap();
  await model.embedImage(encoding);
  const clipImage = lap();
  await model.classify(encoding, labels);
  const classify = lap();
  encoding.dispose();
  return {
    encode,
    firstPrompt,
    decodePerPrompt: prompts > 1 ? decodeAll / (prompts - 1) : firstPrompt,
    clipImage,
    textPerLabel: classify / labels.length,
    total: encode + firstPrompt + decodeAll + clipImage + classify,
  };
}

async function benchBundle(context: CliContext, location: string, options: BenchCommandOptions, image: RgbImage, settings: { runs: number; warmup: number; prompts: number; labels: string[] }): Promise<BundleBench> {
  const rssBefore = process.memoryUsage.rss();
  const sampler = rssSampler();
  const loadStart = performance.now();
  let model: SamClip | undefined;
  try {
    model = await openModel(context, { ...options, model: location });
    const loadMs = performance.now() - loadStart;
    const samples: Array<Record<StageKey, number>> = [];
    let coldMs = 0;
    for (let run = 0; run < settings.warmup + settings.runs; run++) {
      const result = await oneRun(model, image, settings.prompts, settings.labels);
      if (run === 0) coldMs = loadMs + result.total;
      if (run >= settings.warmup) samples.push(result);
    }
    const stages = Object.fromEntries(STAGES.map(([key]) => [key, stats(samples.map((s) => s[key]))])) as Record<StageKey, StageStats>;
    const result = { model: location, name: model.bundle.name, kind: model.kind, backend: model.backendName, variants: model.variants(), loadMs: round(loadMs, 1), coldMs: round(coldMs, 1), stages };
    await model.dispose();
    model = undefined;
    const peak = sampler.stop();
    return { ...result, peakRssBytes: peak, rssGrowthBytes: Math.max(0, peak - rssBefore) };
  } finally {
    sampler.stop();
    await model?.dispose();
  }
}

function formatMs(s: StageStats): string {
  const digits = s.median < 10 ? 2 : 1;
  return `${s.median.toFixed(digits)} ms (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

export function formatBenchTable(results: readonly BundleBench[]): string {
  const header = ['stage (median, min–max)', ...results.map((r) => `${r.name} (${r.kind})`)];
  const ratioHeader = results.length > 1 ? results.slice(1).map((r, i) => (results.length > 2 ? `ratio ${i + 2}/1` : 'ratio 2/1')) : [];
  const rows: string[][] = [[...header, ...ratioHeader]];
  const ratios = (value: (r: BundleBench) => number) => results.slice(1).map((r) => `${(value(r) / value(results[0]!)).toFixed(2)}×`);
  for (const [key, label] of STAGES) rows.push([label, ...results.map((r) => formatMs(r.stages[key])), ...ratios((r) => r.stages[key].median)]);
  rows.push(['load', ...results.map((r) => `${r.loadMs.toFixed(1)} ms`), ...ratios((r) => r.loadMs)]);
  rows.push(['load + first image (cold)', ...results.map((r) => `${r.coldMs.toFixed(1)} ms`), ...ratios((r) => r.coldMs)]);
  rows.push(['peak RSS', ...results.map((r) => formatBytes(r.peakRssBytes)), ...ratios((r) => r.peakRssBytes)]);
  rows.push(['RSS growth while loaded', ...results.map((r) => formatBytes(r.rssGrowthBytes)), ...ratios((r) => Math.max(1, r.rssGrowthBytes))]);
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
    .option('--json', 'print the measurements as JSON');
  addModelOptions(command, true);
  command.action(async (options: BenchCommandOptions) => {
    const settings = {
      runs: parseWholeNumber(options.runs, '--runs'),
      warmup: parseWholeNumber(options.warmup, '--warmup', 0),
      prompts: parseWholeNumber(options.prompts, '--prompts'),
      labels: parseLabels(options.labels),
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
      `samclip bench: ${settings.runs} runs after ${settings.warmup} warm-up, ${settings.prompts} prompts and ${settings.labels.length} labels per image, ${image.width}×${image.height} image, backend ${[...new Set(results.map((r) => r.backend))].join(', ')}\n`,
    );
    out.write(formatBenchTable(results));
  });
}
