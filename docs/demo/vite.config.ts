/**
 * The samclip web demo. Everything it needs is served by its own origin: the SDK from the
 * packages' sources, onnxruntime-web's and tfjs-backend-wasm's wasm files under ort/ and
 * tfjs-wasm/, the fixture bundles under bundles/, and (dev server only, when the shared data
 * directory exists) sample photos under samples/. Pages are cross-origin isolated (COOP/COEP) so
 * the wasm engines can use threads.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const require = createRequire(import.meta.url);
const src = (name: string, file = 'index.ts') => path.join(repoRoot, 'packages', name, 'src', file);

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Bundle directories shown by the demo: SAMCLIP_DEMO_BUNDLES (path-separated), else fixtures/*. */
function bundleDirs(): Map<string, string> {
  const listed = process.env['SAMCLIP_DEMO_BUNDLES'];
  const dirs = listed
    ? listed.split(path.delimiter).filter(Boolean)
    : existsSync(path.join(repoRoot, 'fixtures'))
      ? readdirSync(path.join(repoRoot, 'fixtures')).map((name) => path.join(repoRoot, 'fixtures', name))
      : [];
  return new Map(dirs.filter((dir) => existsSync(path.join(dir, 'samclip.json'))).map((dir) => [path.basename(dir), path.resolve(dir)]));
}

const samplesDir = path.resolve(repoRoot, '../shared/data/images');

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

/** URL prefix → directory, for the dev server and for copying into the build. */
function assetMounts(): Record<string, string> {
  const mounts: Record<string, string> = {
    'ort/': path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')),
    'tfjs-wasm/': path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'),
  };
  for (const [name, dir] of bundleDirs()) mounts[`bundles/${name}/`] = dir;
  return mounts;
}

/** Only the engine files the page loads: the wasm binaries and their .mjs glue. */
function isEngineFile(prefix: string, file: string): boolean {
  if (prefix === 'ort/') return /^ort-wasm.*\.(wasm|mjs)$/.test(file);
  if (prefix === 'tfjs-wasm/') return file.endsWith('.wasm');
  return true;
}

function samclipAssets(): Plugin {
  return {
    name: 'samclip-demo-assets',
    configureServer(server) {
      const mounts = assetMounts();
      server.middlewares.use((request, response, next) => {
        const url = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname).slice(1);
        if (url === 'bundles/index.json') {
          response.setHeader('Content-Type', 'application/json');
          response.end(JSON.stringify([...bundleDirs().keys()]));
          return;
        }
        if (url === 'samples/index.json' && existsSync(samplesDir)) {
          response.setHeader('Content-Type', 'application/json');
          response.end(JSON.stringify(listFiles(samplesDir).filter((file) => /\.(jpe?g|png|webp)$/i.test(file))));
          return;
        }
        const served = Object.entries({ ...mounts, ...(existsSync(samplesDir) ? { 'samples/': samplesDir } : {}) }).find(([prefix]) => url.startsWith(prefix));
        if (!served) return next();
        const [prefix, dir] = served;
        const file = path.resolve(dir, url.slice(prefix.length));
        if (!file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) return next();
        for (const [key, value] of Object.entries(ISOLATION_HEADERS)) response.setHeader(key, value);
        response.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        createReadStream(file).pipe(response);
      });
    },
    generateBundle() {
      // The build carries the engines' wasm and the fixture bundles; shared sample photos never.
      for (const [prefix, dir] of Object.entries(assetMounts())) {
        for (const file of listFiles(dir)) {
          if (!isEngineFile(prefix, file)) continue;
          this.emitFile({ type: 'asset', fileName: `${prefix}${file}`, source: readFileSync(path.join(dir, file)) });
        }
      }
      this.emitFile({ type: 'asset', fileName: 'bundles/index.json', source: JSON.stringify([...bundleDirs().keys()]) });
      this.emitFile({ type: 'asset', fileName: 'samples/index.json', source: '[]' });
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [samclipAssets()],
  resolve: {
    alias: [
      { find: '@samclip/core/node', replacement: src('core', 'node.ts') },
      { find: '@samclip/core', replacement: src('core') },
      { find: '@samclip/prompts', replacement: src('prompts') },
      { find: '@samclip/backend-ort', replacement: src('backend-ort') },
      { find: '@samclip/backend-tfjs', replacement: src('backend-tfjs') },
    ],
  },
  server: { headers: ISOLATION_HEADERS, fs: { allow: [repoRoot] } },
  preview: { headers: ISOLATION_HEADERS },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    // tfjs-backend-wasm starts its thread pool from its factory's source text
    // (`wasmFactoryThreadedSimd.toString()`), which minification breaks: the workers never start and
    // tfjs-wasm hangs in cross-origin isolated pages (seen with the default minifier).
    minify: false,
  },
  worker: { format: 'es' },
});
