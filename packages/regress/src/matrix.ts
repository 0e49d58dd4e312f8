/**
 * The regression matrix: every bundle × variant × column (backend, in Node or headless Chromium).
 * Columns run one after another, each over every bundle with one engine: Node columns in this
 * process, browser columns in one page load each (browser-runner.ts). The first column to run a
 * variant of a bundle cleanly is that variant's baseline for the cross-backend checks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SamClipError } from '@samclip/core';
import type { Backend } from '@samclip/core';
import { loadBundleFromDirectory } from '@samclip/core/node';
import { createOrtNodeBackend, createOrtNodeWebGpuBackend, createOrtWasmBackend, ortWebWasmDir } from '@samclip/backend-ort/node';
import { TfjsBackend } from '@samclip/backend-tfjs';
import { engineAssetDirs, repoRoot, runInBrowser } from './browser-runner.js';
import { conversionLabel, convertBundles } from './conversions.js';
import type { Conversion } from './conversions.js';
import { evaluateRun, loadReferences } from './evaluate.js';
import type { Cell } from './evaluate.js';
import { bundleVariants, runBundle } from './run-bundle.js';
import type { BackendRun, RunOptions, VariantRun } from './run-bundle.js';
import { MATRIX_TARGETS, variantRunsOn } from './targets.js';
import type { MatrixTarget } from './targets.js';

export interface MatrixOptions {
  /** Bundle directories (default: every fixtures/<name>/samclip.json). */
  bundles?: readonly string[];
  targets?: readonly MatrixTarget[];
  /**
   * Quantized variants to add before the columns run: each of `bundles` (directories among the
   * matrix's bundles) is converted with every conversion into a temporary copy, which the matrix
   * runs in its place (conversions.ts). `false` or omitted: the bundles as they are.
   */
  conversions?: { bundles: readonly string[]; conversions: readonly Conversion[] } | false;
  /** Variant names to run (default: all of each bundle's). */
  variants?: readonly string[];
  /** Timed runs per graph after the warm-up run, at most (latency = their median). */
  runs?: number;
  /** A graph's timed runs stop once together they took this long (default: no limit). */
  latencyBudgetMs?: number;
  /** Columns that cannot run fail instead of being reported unavailable (CI). */
  strict?: boolean;
  /** Use the machine's real GPU: Chromium without --disable-gpu, no SwiftShader ICD for Dawn. */
  gpu?: boolean;
  onProgress?: (message: string) => void;
}

export interface MatrixEnvironment {
  node: string;
  platform: string;
  cpu: string;
  cpus: number;
  onnxruntime: string;
  tfjs: string;
  gpu: boolean;
  vulkanIcd?: string;
}

export interface MatrixResult {
  date: string;
  environment: MatrixEnvironment;
  bundles: string[];
  /** The conversions added per bundle (bundle path → `int8:ort-node`, …). */
  conversions: Record<string, string[]>;
  targets: string[];
  runs: number;
  latencyBudgetMs?: number;
  strict: boolean;
  cells: Cell[];
  /** Where each browser column ran (isolation, wasm threads, browser version). */
  browsers: Array<{ bundle: string; target: string; environment: Record<string, string | number | boolean> }>;
  passed: boolean;
}

/** Chromium's SwiftShader Vulkan driver: Dawn's software adapter for ort-node-webgpu without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Every fixtures/<name>/ holding a samclip.json. */
export function fixtureBundles(root = repoRoot): string[] {
  const fixtures = path.join(root, 'fixtures');
  if (!existsSync(fixtures)) return [];
  return readdirSync(fixtures)
    .sort()
    .map((name) => path.join(fixtures, name))
    .filter((dir) => existsSync(path.join(dir, 'samclip.json')));
}

function createNodeBackend(name: string): Backend {
  switch (name) {
    case 'ort-node':
      return createOrtNodeBackend();
    case 'ort-node-webgpu':
      return createOrtNodeWebGpuBackend();
    case 'ort-wasm':
      return createOrtWasmBackend({ wasmPaths: ortWebWasmDir() });
    case 'tfjs-cpu':
      return new TfjsBackend('cpu');
    case 'tfjs-wasm':
      return new TfjsBackend('wasm', { wasmPaths: engineAssetDirs().tfjsWasm + path.sep });
    default:
      throw new Error(`${name} does not run in Node`);
  }
}

function packageVersion(name: string): string {
  const file = path.join(repoRoot, 'node_modules', name, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'not installed';
}

function environment(gpu: boolean): MatrixEnvironment {
  const cpus = os.cpus();
  const env: MatrixEnvironment = {
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    onnxruntime: `onnxruntime-node ${packageVersion('onnxruntime-node')}, onnxruntime-web ${packageVersion('onnxruntime-web')}`,
    tfjs: packageVersion('@tensorflow/tfjs-core'),
    gpu,
  };
  if (process.env['VK_ICD_FILENAMES']) env.vulkanIcd = process.env['VK_ICD_FILENAMES'];
  return env;
}

/** A bundle as one column runs it: the variants meant for that column. */
interface ColumnBundle {
  dir: string;
  variants: string[];
}

/** Runs every bundle on one column; one BackendRun per bundle, in order. */
async function runColumn(bundles: readonly ColumnBundle[], target: MatrixTarget, options: Omit<RunOptions, 'variants'>): Promise<BackendRun[]> {
  if (target.platform === 'browser') return runInBrowser(bundles, target.backend, options);
  let backend: Backend;
  try {
    backend = createNodeBackend(target.backend);
  } catch (error) {
    const unavailable = error instanceof Error ? error.message : String(error);
    return bundles.map(() => ({ backend: target.id, unavailable, variants: [] }));
  }
  const runs: BackendRun[] = [];
  try {
    // One engine for every bundle: it starts once, as it would in an application.
    for (const { dir, variants } of bundles) {
      try {
        const bundle = await loadBundleFromDirectory(dir);
        runs.push(await runBundle(bundle, backend, target.id, { ...options, variants }));
      } catch (error) {
        runs.push({ backend: target.id, error: error instanceof Error ? error.message : String(error), variants: [] });
      }
    }
  } finally {
    await backend.dispose?.().catch(() => undefined);
  }
  return runs;
}

function displayPath(dir: string): string {
  return path.relative(repoRoot, dir) || dir;
}

export async function runMatrix(options: MatrixOptions = {}): Promise<MatrixResult> {
  const gpu = options.gpu ?? false;
  if (gpu) process.env['SAMCLIP_CHROMIUM_GPU'] = '1';
  else if (!process.env['VK_ICD_FILENAMES'] && existsSync(SWIFTSHADER_ICD)) process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  const bundles = options.bundles ?? fixtureBundles();
  const plan = options.conversions || undefined;
  for (const dir of plan?.bundles ?? []) {
    if (!bundles.includes(dir)) throw new SamClipError('INVALID_ARGUMENT', `cannot convert ${dir}: it is not one of the matrix's bundles (${bundles.join(', ')})`, { bundle: dir });
  }
  const converted = plan && plan.conversions.length > 0 ? await convertBundles(plan.bundles, plan.conversions, options.onProgress) : undefined;
  try {
    return await runPreparedMatrix(options, bundles, converted?.copies ?? new Map(), plan && converted ? plan.conversions : []);
  } finally {
    await converted?.dispose();
  }
}

async function runPreparedMatrix(options: MatrixOptions, bundles: readonly string[], copies: ReadonlyMap<string, string>, conversions: readonly Conversion[]): Promise<MatrixResult> {
  const gpu = options.gpu ?? false;
  const targets = options.targets ?? MATRIX_TARGETS;
  const runs = options.runs ?? 3;
  const strict = options.strict ?? process.env['CI'] === 'true';
  const prepared = await Promise.all(
    bundles.map(async (original) => {
      const dir = copies.get(original) ?? original;
      const bundle = await loadBundleFromDirectory(dir);
      const variants = bundleVariants(bundle).filter((variant) => options.variants === undefined || options.variants.includes(variant));
      return { dir, bundle, refs: await loadReferences(bundle), variants, baselines: new Map<string, VariantRun>(), cells: [] as Cell[] };
    }),
  );
  const browsers: MatrixResult['browsers'] = [];
  for (const target of targets) {
    const meant = prepared
      .map((entry) => ({
        entry,
        variants: entry.variants.filter((variant) => {
          const graph = entry.bundle.graphNames().find((name) => entry.bundle.variants(name).includes(variant));
          return graph !== undefined && variantRunsOn(entry.bundle.variant(graph, variant), target);
        }),
      }))
      .filter(({ variants }) => variants.length > 0);
    if (meant.length === 0) continue;
    options.onProgress?.(`${target.id}: ${meant.map(({ entry, variants }) => `${entry.bundle.name} (${variants.join(', ')})`).join(', ')}`);
    const runOptions = { runs, ...(options.latencyBudgetMs !== undefined ? { latencyBudgetMs: options.latencyBudgetMs } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
    const columnRuns = await runColumn(
      meant.map(({ entry, variants }) => ({ dir: entry.dir, variants })),
      target,
      runOptions,
    );
    meant.forEach(({ entry, variants }, i) => {
      const run = columnRuns[i]!;
      if (run.environment) browsers.push({ bundle: entry.bundle.name, target: target.id, environment: run.environment });
      const columnCells = evaluateRun(entry.refs, run, target, variants, (variant) => entry.baselines.get(variant), strict);
      entry.cells.push(...columnCells);
      for (const variantRun of run.variants) {
        const cell = columnCells.find((c) => c.variant === variantRun.variant);
        // A variant's baseline is the first column that ran it and passed against PyTorch.
        if (!entry.baselines.has(variantRun.variant) && cell?.status === 'pass') entry.baselines.set(variantRun.variant, variantRun);
      }
      for (const cell of columnCells) options.onProgress?.(`${entry.bundle.name}: ${cell.variant} on ${cell.target}: ${cell.status}${cell.failures.length ? ` (${cell.failures.length} failures)` : ''}`);
    });
  }
  // The report lists cells bundle by bundle, columns in matrix order within each.
  const cells = prepared.flatMap((entry) => entry.cells);
  return {
    date: new Date().toISOString(),
    environment: environment(gpu),
    bundles: bundles.map(displayPath),
    conversions: Object.fromEntries([...copies.keys()].map((dir) => [displayPath(dir), conversions.map(conversionLabel)])),
    targets: targets.map((target) => target.id),
    runs,
    ...(options.latencyBudgetMs !== undefined ? { latencyBudgetMs: options.latencyBudgetMs } : {}),
    strict,
    cells,
    browsers,
    passed: cells.every((cell) => cell.status !== 'fail'),
  };
}
