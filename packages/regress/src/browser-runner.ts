/**
 * Runs a bundle on a browser backend: one headless Chromium page load per backend and bundle, the
 * bundle's files and the engines' wasm files served by the harness's cross-origin isolated server.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH, WEBGPU_ARGS, bundleForBrowser, withBrowserPage } from '../../../test-utils/browser.js';
import type { BackendRun, RunOptions } from './run-bundle.js';
import type { PageRunRequest, RegressPageApi } from './browser/page.js';
import { deserializeRun } from './serialize.js';

/** The checkout root, found upwards from this module (which bin/regress.mjs may run from node_modules/.cache). */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'packages', 'regress', 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the samclip checkout above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot();
const pageEntry = path.join(repoRoot, 'packages', 'regress', 'src', 'browser', 'page.ts');
const require = createRequire(import.meta.url);

/** `@samclip/*` → package sources, as in the root vitest config, so the page needs no build. */
export function sourceAliases(): Record<string, string> {
  const src = (name: string, file = 'index.ts') => path.join(repoRoot, 'packages', name, 'src', file);
  return {
    '@samclip/core': src('core'),
    '@samclip/prompts': src('prompts'),
    '@samclip/backend-ort': src('backend-ort'),
    '@samclip/backend-tfjs': src('backend-tfjs'),
  };
}

/** Directories the page's engines load their wasm from (served under /ort/ and /tfjs-wasm/). */
export function engineAssetDirs(): { ort: string; tfjsWasm: string } {
  return {
    ort: path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')),
    tfjsWasm: path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'),
  };
}

let pageScript: Promise<string> | undefined;

function regressPageScript(): Promise<string> {
  pageScript ??= bundleForBrowser(pageEntry, sourceAliases());
  return pageScript;
}

/** A bundle directory and the variants to run from it. */
export interface BrowserBundle {
  dir: string;
  variants: readonly string[];
}

/**
 * Loads the page once and runs every bundle on `backend` in it, one engine for all of them (as
 * an application would keep it); one BackendRun per bundle, in order. A browser that cannot start
 * makes the column unavailable; a page that fails makes it an error.
 */
export async function runInBrowser(bundles: readonly BrowserBundle[], backend: string, options: Omit<RunOptions, 'variants'>): Promise<BackendRun[]> {
  const everyBundle = (run: Omit<BackendRun, 'backend' | 'variants'>): BackendRun[] => bundles.map(() => ({ backend, ...run, variants: [] }));
  const assets = engineAssetDirs();
  const script = await regressPageScript();
  if (!existsSync(CHROMIUM_PATH)) return everyBundle({ unavailable: `Chromium is missing at ${CHROMIUM_PATH} (apt-get install chromium, or set SAMCLIP_CHROMIUM)` });
  const mounts: Record<string, string> = { '/ort/': assets.ort, '/tfjs-wasm/': assets.tfjsWasm };
  bundles.forEach(({ dir }, i) => (mounts[`/bundles/${i}/`] = dir));
  try {
    return await withBrowserPage(
      {
        script,
        mounts,
        args: WEBGPU_ARGS,
        // onnxruntime-web logs its warnings ("[W:onnxruntime…", e.g. nodes left on the CPU) as console
        // errors; real failures surface as errors of the run itself.
        allowConsoleErrors: ['[W:onnxruntime'],
      },
      async (page) => {
        page.on('console', (message) => {
          if (message.type() === 'info') options.onProgress?.(`[browser] ${message.text()}`);
        });
        await page.waitForFunction(() => 'samclipRegress' in globalThis);
        const runs: BackendRun[] = [];
        for (const [i, { variants }] of bundles.entries()) {
          const request: PageRunRequest = {
            backend,
            bundleUrl: `/bundles/${i}/samclip.json`,
            options: { variants, runs: options.runs, ...(options.latencyBudgetMs !== undefined ? { latencyBudgetMs: options.latencyBudgetMs } : {}), ...(options.graphs ? { graphs: options.graphs } : {}) },
          };
          try {
            runs.push(deserializeRun(await page.evaluate((req) => (globalThis as unknown as { samclipRegress: RegressPageApi }).samclipRegress.run(req), request)));
          } catch (error) {
            runs.push({ backend, error: `the page failed on this bundle: ${error instanceof Error ? error.message : String(error)}`, variants: [] });
          }
        }
        const environment = await page.evaluate(() => (globalThis as unknown as { samclipRegress: RegressPageApi }).samclipRegress.environment());
        await page.evaluate(() => (globalThis as unknown as { samclipRegress: RegressPageApi }).samclipRegress.dispose());
        return runs.map((run) => ({ ...run, environment: { ...environment } }));
      },
    );
  } catch (error) {
    return everyBundle({ error: `the headless Chromium run failed: ${error instanceof Error ? error.message : String(error)}` });
  }
}
