/**
 * The regression matrix: every bundle × variant × column (backend, in Node or headless Chromium).
 * Node columns run in this process; browser columns in one page load each (browser-runner.ts).
 * The first column to run a variant cleanly is that variant's baseline for the cross-backend checks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend } from '@samclip/core';
import { loadBundleFromDirectory } from '@samclip/core/node';
import { createOrtNodeBackend, createOrtNodeWebGpuBackend, createOrtWasmBackend, ortWebWasmDir } from '@samclip/backend-ort/node';
import { TfjsBackend } from '@samclip/backend-tfjs';
import { engineAssetDirs, repoRoot, runInBrowser } from './browser-runner.js';
import { evaluateRun, loadReferences } from './evaluate.js';
import type { Cell } from './evaluate.js';
import { bundleVariants, runBundle } from './run-bundle.js';
import type { BackendRun, VariantRun } from './run-bundle.js';
import { MATRIX_TARGETS, variantRunsOn } from './targets.js';
import type { MatrixTarget } from './targets.js';

export interface MatrixOptions {
  /** Bundle directories (default: every fixtures/<name>/samclip.json). */
  bundles?: readonly string[];
  targets?: readonly MatrixTarget[];
  /** Variant names to run (default: all of each bundle's). */
  variants?: readonly string[];
  /** Timed runs per graph after the warm-up run (latency = their median). */
  runs?: number;
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
  targets: string[];
  runs: number;
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

async function runColumn(bundleDir: string, target: MatrixTarget, variants: string[], runs: number, onProgress?: (message: string) => void): Promise<BackendRun> {
  const options = { variants, runs, ...(onProgress ? { onProgress } : {}) };
  if (target.platform === 'browser') return runInBrowser(bundleDir, target.backend, options);
  let backend: Backend;
  try {
    backend = createNodeBackend(target.backend);
  } catch (error) {
    return { backend: target.id, unavailable: error instanceof Error ? error.message : String(error), variants: [] };
  }
  const bundle = await loadBundleFromDirectory(bundleDir);
  try {
    return await runBundle(bundle, backend, target.id, options);
  } catch (error) {
    return { backend: target.id, error: error instanceof Error ? error.message : String(error), variants: [] };
  } finally {
    await backend.dispose?.().catch(() => undefined);
  }
}

export async function runMatrix(options: MatrixOptions = {}): Promise<MatrixResult> {
  const gpu = options.gpu ?? false;
  if (gpu) process.env['SAMCLIP_CHROMIUM_GPU'] = '1';
  else if (!process.env['VK_ICD_FILENAMES'] && existsSync(SWIFTSHADER_ICD)) process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
  const bundles = options.bundles ?? fixtureBundles();
  const targets = options.targets ?? MATRIX_TARGETS;
  const runs = options.runs ?? 3;
  const strict = options.strict ?? process.env['CI'] === 'true';
  const cells: Cell[] = [];
  const browsers: MatrixResult['browsers'] = [];
  for (const bundleDir of bundles) {
    const bundle = await loadBundleFromDirectory(bundleDir);
    const refs = await loadReferences(bundle);
    const variants = bundleVariants(bundle).filter((variant) => options.variants === undefined || options.variants.includes(variant));
    const baselines = new Map<string, VariantRun>();
    for (const target of targets) {
      const meant = variants.filter((variant) => {
        const graph = bundle.graphNames().find((name) => bundle.variants(name).includes(variant));
        return graph !== undefined && variantRunsOn(bundle.variant(graph, variant), target);
      });
      if (meant.length === 0) continue;
      options.onProgress?.(`${bundle.name}: ${target.id} (${meant.join(', ')})`);
      const run = await runColumn(bundleDir, target, meant, runs, options.onProgress);
      if (run.environment) browsers.push({ bundle: bundle.name, target: target.id, environment: run.environment });
      const columnCells = evaluateRun(refs, run, target, meant, (variant) => baselines.get(variant), strict);
      cells.push(...columnCells);
      for (const variantRun of run.variants) {
        const cell = columnCells.find((c) => c.variant === variantRun.variant);
        // A variant's baseline is the first column that ran it and passed against PyTorch.
        if (!baselines.has(variantRun.variant) && cell?.status === 'pass') baselines.set(variantRun.variant, variantRun);
      }
      for (const cell of columnCells) options.onProgress?.(`${bundle.name}: ${cell.variant} on ${cell.target}: ${cell.status}${cell.failures.length ? ` (${cell.failures.length} failures)` : ''}`);
    }
  }
  return {
    date: new Date().toISOString(),
    environment: environment(gpu),
    bundles: bundles.map((dir) => path.relative(repoRoot, dir) || dir),
    targets: targets.map((target) => target.id),
    runs,
    strict,
    cells,
    browsers,
    passed: cells.every((cell) => cell.status !== 'fail'),
  };
}
