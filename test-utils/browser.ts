/**
 * Runs test code in headless Chromium: bundles a TypeScript entry for the browser (rolldown, which
 * ships with vite/vitest), serves it with other files on 127.0.0.1 with the cross-origin isolation
 * headers (COOP/COEP, needed for SharedArrayBuffer and threaded WASM), and opens it in the system
 * Chromium through playwright-core. No browser is ever downloaded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { rolldown } from 'rolldown';

export const CHROMIUM_PATH = process.env['SAMCLIP_CHROMIUM'] ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Whether browser tests can run. Under CI a missing Chromium is an error (nothing may be skipped
 * there); locally the caller skips.
 */
export function haveChromium(): boolean {
  const present = existsSync(CHROMIUM_PATH);
  if (!present && process.env['CI'] === 'true') {
    throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: install it (apt-get install chromium) or point SAMCLIP_CHROMIUM at a Chromium binary.`);
  }
  return present;
}

/**
 * Chromium switches for the GPU backends: WebGL2 falls back to SwiftShader under `--disable-gpu`,
 * and WebGPU needs `--enable-unsafe-webgpu` on Linux (it then runs on SwiftShader's Vulkan too;
 * on a machine with a GPU, SAMCLIP_CHROMIUM_GPU=1 drops `--disable-gpu` so the real adapter is used).
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

/**
 * One ES module holding `entry` and everything it imports, for a <script type="module">. Dynamic
 * imports (engines loaded on first use) are inlined so the page needs only this one file.
 */
export async function bundleForBrowser(entry: string, alias: Record<string, string> = {}): Promise<string> {
  const build = await rolldown({
    input: entry,
    platform: 'browser',
    logLevel: 'warn',
    resolve: { alias, extensionAlias: { '.js': ['.ts', '.js'] } },
  });
  try {
    const { output } = await build.generate({ format: 'esm', codeSplitting: false });
    const [chunk] = output;
    if (output.length !== 1 || chunk === undefined || chunk.type !== 'chunk') {
      throw new Error(`bundling ${entry} produced ${output.length} outputs; browser test entries must not split into chunks`);
    }
    return chunk.code;
  } finally {
    await build.close();
  }
}

/** What the server answers: in-memory files by URL path, and directories mounted under URL prefixes. */
export interface ServeSpec {
  files?: Record<string, string | Uint8Array>;
  /** URL prefix ending in '/' → directory on disk. */
  mounts?: Record<string, string>;
}

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Serves the spec on 127.0.0.1 at a random port, cross-origin isolated. */
export async function serveStatic(spec: ServeSpec): Promise<StaticServer> {
  const server = createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const body = resolveRequest(spec, urlPath);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    if (body === undefined) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${urlPath}`);
      return;
    }
    const type = CONTENT_TYPES[path.extname(urlPath.endsWith('/') ? '/index.html' : urlPath)] ?? 'application/octet-stream';
    response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function resolveRequest(spec: ServeSpec, urlPath: string): Uint8Array | undefined {
  const file = spec.files?.[urlPath === '/' ? '/index.html' : urlPath];
  if (file !== undefined) return typeof file === 'string' ? Buffer.from(file) : file;
  for (const [prefix, dir] of Object.entries(spec.mounts ?? {})) {
    if (!urlPath.startsWith(prefix)) continue;
    const root = path.resolve(dir);
    const relative = urlPath.slice(prefix.length - 1);
    // A directory URL serves its index.html (a built web app mounted at '/').
    const target = path.resolve(root, `.${relative.endsWith('/') ? `${relative}index.html` : relative}`);
    // Never serve anything outside the mounted directory.
    if (!target.startsWith(root + path.sep) || !existsSync(target) || !statSync(target).isFile()) continue;
    return readFileSync(target);
  }
  return undefined;
}

export interface PageOptions {
  /** Extra Chromium switches (for example WEBGPU_ARGS). */
  args?: readonly string[];
  /** Console messages of type error that are expected (matched as substrings) and not failures. */
  allowConsoleErrors?: readonly string[];
  /** Viewport size (default Chromium's 780×580). */
  viewport?: { width: number; height: number };
}

/**
 * Opens `url` (usually served by serveStatic) in a fresh headless Chromium profile and hands the
 * page to `use`. Page errors and unexpected console errors are raised after `use` returns.
 */
export async function withPageAt<T>(url: string, options: PageOptions, use: (page: Page) => Promise<T>): Promise<T> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'samclip-chromium-'));
  try {
    const baseArgs = process.env['SAMCLIP_CHROMIUM_GPU'] === '1' ? CHROMIUM_ARGS.filter((arg) => arg !== '--disable-gpu') : CHROMIUM_ARGS;
    const context = await chromium.launchPersistentContext(profile, {
      headless: true,
      executablePath: CHROMIUM_PATH,
      args: [...baseArgs, ...(options.args ?? [])],
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && !(options.allowConsoleErrors ?? []).some((text) => message.text().includes(text))) pageErrors.push(message.text());
      });
      await page.goto(url, { waitUntil: 'load' });
      const result = await use(page);
      if (pageErrors.length > 0) throw new Error(`errors in the browser page:\n${summarizeErrors(pageErrors)}`);
      return result;
    } finally {
      await context.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * The distinct page errors, each cut to 500 characters, the first 5 in full and a count of the
 * rest: one broken shader can raise thousands of cascading WebGPU validation errors.
 */
export function summarizeErrors(errors: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const error of errors) {
    const text = error.length > 500 ? `${error.slice(0, 500)}…` : error;
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const distinct = [...counts];
  const shown = distinct.slice(0, 5).map(([text, count]) => (count > 1 ? `${text} (×${count})` : text));
  const hidden = distinct.slice(5).reduce((sum, [, count]) => sum + count, 0);
  return [...shown, ...(hidden > 0 ? [`… and ${hidden} more error${hidden === 1 ? '' : 's'} (${distinct.length - 5} distinct)`] : [])].join('\n');
}

export interface BrowserRun {
  /** ES module source to run in the page (see bundleForBrowser). */
  script: string;
  /** Extra directories the page may fetch, by URL prefix ending in '/'. */
  mounts?: Record<string, string>;
  /** Extra in-memory files by URL path. */
  files?: Record<string, string | Uint8Array>;
  /** Extra Chromium switches (for example WEBGPU_ARGS). */
  args?: readonly string[];
  /** Console messages of type error that are expected (matched as substrings) and not failures. */
  allowConsoleErrors?: readonly string[];
}

/**
 * Serves `script` in a minimal page, opens it in a fresh headless Chromium profile and hands the
 * loaded page to `use`; everything is torn down afterwards. Page errors and console errors are
 * raised as test failures.
 */
export async function withBrowserPage<T>(run: BrowserRun, use: (page: Page, origin: string) => Promise<T>): Promise<T> {
  const html = '<!doctype html><meta charset="utf-8"><title>samclip browser test</title><link rel="icon" href="data:,"><script type="module" src="/entry.js"></script>';
  const spec: ServeSpec = { files: { ...run.files, '/index.html': html, '/entry.js': run.script } };
  if (run.mounts !== undefined) spec.mounts = run.mounts;
  const server = await serveStatic(spec);
  try {
    const options: PageOptions = {};
    if (run.args !== undefined) options.args = run.args;
    if (run.allowConsoleErrors !== undefined) options.allowConsoleErrors = run.allowConsoleErrors;
    return await withPageAt(`${server.origin}/`, options, async (page) => {
      const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
      if (!isolated) throw new Error('the test page is not cross-origin isolated; check the COOP/COEP headers');
      return use(page, server.origin);
    });
  } finally {
    await server.close();
  }
}
