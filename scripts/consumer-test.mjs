#!/usr/bin/env node
/**
 * npm run consumer-test: proves the published packages work for someone who knows samclip only
 * from npm. Builds, packs every public package, checks each tarball (no dev-only files, entry points
 * present, imports declared), installs the tarballs plus registry dependencies into fresh apps in a
 * temporary directory outside the repository, and in each runs a segmentation and a classification
 * of fixtures/tiny-random held to its PyTorch references:
 *
 *   node-esm  Node ES module app on ort-node, ort-wasm, tfjs-cpu and tfjs-wasm
 *   node-cjs  CommonJS app (require of the ESM-only packages, Node ≥ 20.19) on ort-node
 *   vite      Vite production build in headless Chromium on ort-wasm and tfjs-cpu/tfjs-wasm
 *
 * Options: --keep (leave the temporary directory), --skip-build, --only=node-esm,node-cjs,vite.
 * Env: SAMCLIP_CHROMIUM (default /usr/bin/chromium); under CI=true a missing Chromium fails.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { checkPackedPackage } from './lib/check-package.mjs';
import { packPackages, publicPackages, repoRoot, run } from './lib/workspace.mjs';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const skipBuild = args.includes('--skip-build');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const selected = (app) => !only || only.includes(app);

const FIXTURE = path.join(repoRoot, 'fixtures/tiny-random');
const CONSUMER = path.join(repoRoot, 'scripts/consumer');
const CHROMIUM = process.env.SAMCLIP_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Engine versions the apps choose (the packages take them as peer dependencies). */
const ENGINES = {
  'onnxruntime-node': '~1.30.0',
  'onnxruntime-web': '~1.30.0',
  '@tensorflow/tfjs-core': '^4.22.0',
  '@tensorflow/tfjs-backend-cpu': '^4.22.0',
  '@tensorflow/tfjs-backend-wasm': '^4.22.0',
};

// onnxruntime-node's postinstall would fetch optional GPU libraries; the CPU build ships in the package.
const installEnv = { ...process.env, NO_COLOR: '1', ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_onnxruntime_node_install: 'skip' };

function step(message) {
  console.log(`\n▶ ${message}`);
}

function assertOutsideRepo(dir) {
  // Node resolves bare imports by walking up: nothing above the app may hold a node_modules.
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) throw new Error(`${path.join(d, 'node_modules')} exists above the scratch apps; they must see only their own installs`);
    if (d === path.dirname(d)) break;
  }
  if (path.relative(repoRoot, dir).split(path.sep)[0] !== '..') throw new Error(`scratch directory ${dir} lies inside the repository`);
}

/** A scratch app: package.json naming the tarballs (and pinning every @samclip/* to them), then npm install. */
async function createApp(dir, { type, samclip, registryDeps, tarballs }) {
  mkdirSync(dir, { recursive: true });
  const fileSpec = (name) => `file:${tarballs[name]}`;
  const dependencies = Object.fromEntries([...samclip.map((name) => [name, fileSpec(name)]), ...Object.entries(registryDeps)]);
  // Sibling packages depend on each other by version (0.1.0); overrides send those to the tarballs, never the registry.
  const overrides = Object.fromEntries(Object.keys(tarballs).map((name) => [name, fileSpec(name)]));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: `samclip-consumer-${path.basename(dir)}`, private: true, type, dependencies, overrides }, null, 2)}\n`);
  cpSync(path.join(CONSUMER, 'check.mjs'), path.join(dir, 'check.mjs'));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir, env: installEnv });
  // Installed from the tarballs, every @samclip/* package is a plain copy inside the app (a file:
  // directory dependency would be a symlink back into the repository).
  for (const name of Object.keys(tarballs)) {
    const installed = path.join(dir, 'node_modules', name);
    if (existsSync(installed) && (lstatSync(installed).isSymbolicLink() || !realpathSync(installed).startsWith(dir + path.sep))) {
      throw new Error(`${name} in ${dir} is not installed from its tarball`);
    }
  }
}

function parseResults(stdout, app) {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${app} printed no result line:\n${stdout}`);
  }
}

const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css' };

/** Serves a directory on 127.0.0.1 with the cross-origin isolation headers threaded wasm needs. */
async function serveDirectory(root) {
  const server = createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const target = path.resolve(root, `.${urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath}`);
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (!target.startsWith(root + path.sep) || !existsSync(target) || !statSync(target).isFile()) {
      response.writeHead(404, headers).end();
      return;
    }
    response.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream' }).end(readFileSync(target));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function runInChromium(distDir, backends) {
  const { chromium } = await import('playwright-core');
  const server = await serveDirectory(distDir);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'samclip-consumer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { headless: true, executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
    const query = backends.map((b) => `backend=${encodeURIComponent(b)}`).join('&');
    await page.goto(`${server.origin}/?${query}`, { waitUntil: 'load' });
    const outcome = await page.evaluate(() => window.samclipResult);
    if (!outcome.ok) throw new Error(`the Vite app failed in Chromium:\n${outcome.error}`);
    if (errors.length > 0) throw new Error(`errors in the Vite app page:\n${errors.join('\n')}`);
    return outcome.results;
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function copyMatching(fromDir, toDir, pattern) {
  mkdirSync(toDir, { recursive: true });
  const names = readdirSync(fromDir).filter((name) => pattern.test(name));
  if (names.length === 0) throw new Error(`no files matching ${pattern} in ${fromDir}`);
  for (const name of names) cpSync(path.join(fromDir, name), path.join(toDir, name));
}

async function main() {
  if (!existsSync(path.join(FIXTURE, 'samclip.json'))) throw new Error(`${FIXTURE} is missing; generate the fixtures (tools/) first`);
  const haveChromium = existsSync(CHROMIUM);
  if (selected('vite') && !haveChromium && process.env.CI === 'true') {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it (apt-get install chromium) or set SAMCLIP_CHROMIUM`);
  }
  if (!skipBuild) {
    step('build (turbo)');
    await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'samclip-consumer-'));
  assertOutsideRepo(scratch);
  const summary = [];
  try {
    step(`pack public packages into ${scratch}/tarballs`);
    mkdirSync(path.join(scratch, 'tarballs'));
    const packed = await packPackages(publicPackages(), path.join(scratch, 'tarballs'));
    const problems = packed.flatMap((pkg) => checkPackedPackage(pkg).map((problem) => `${pkg.name}: ${problem}`));
    for (const pkg of packed) console.log(`  ${pkg.name.padEnd(22)} ${String(pkg.files.length).padStart(4)} files  ${(pkg.size / 1024).toFixed(1).padStart(7)} kB packed`);
    if (problems.length > 0) throw new Error(`packed packages are not fit to publish:\n${problems.join('\n')}`);
    const tarballs = Object.fromEntries(packed.map((pkg) => [pkg.name, pkg.tarball]));

    if (selected('node-esm')) {
      step('node-esm: install tarballs, segment + classify');
      const dir = path.join(scratch, 'node-esm');
      await createApp(dir, {
        type: 'module',
        samclip: ['@samclip/core', '@samclip/backend-ort', '@samclip/backend-tfjs', '@samclip/cli'],
        registryDeps: ENGINES,
        tarballs,
      });
      cpSync(path.join(CONSUMER, 'node-esm/app.mjs'), path.join(dir, 'app.mjs'));
      const { stdout } = await run('node', ['app.mjs', FIXTURE, 'ort-node', 'ort-wasm', 'tfjs-cpu', 'tfjs-wasm'], { cwd: dir });
      summary.push(...parseResults(stdout, 'node-esm').map((r) => ({ app: 'node-esm', ...r })));
      // The CLI from its tarball: inspect verifies every file and checks every graph against its contract.
      const inspect = await run(path.join(dir, 'node_modules/.bin/samclip'), ['inspect', FIXTURE, '--json'], { cwd: dir });
      const report = JSON.parse(inspect.stdout);
      if (report.name !== 'tiny-random' || !Array.isArray(report.graphs) || report.graphs.length === 0) {
        throw new Error(`samclip inspect from the tarball reported ${inspect.stdout.slice(0, 300)}`);
      }
      console.log(`  samclip inspect (from the CLI tarball): ${report.kind}, ${report.graphs.length} graphs verified`);
    }

    if (selected('node-cjs')) {
      step('node-cjs: require() the ESM-only packages, segment + classify');
      const dir = path.join(scratch, 'node-cjs');
      await createApp(dir, { type: 'commonjs', samclip: ['@samclip/core', '@samclip/backend-ort'], registryDeps: { 'onnxruntime-node': ENGINES['onnxruntime-node'] }, tarballs });
      cpSync(path.join(CONSUMER, 'node-cjs/app.cjs'), path.join(dir, 'app.cjs'));
      const { stdout } = await run('node', ['app.cjs', FIXTURE], { cwd: dir });
      summary.push(...parseResults(stdout, 'node-cjs').map((r) => ({ app: 'node-cjs', ...r })));
    }

    if (selected('vite')) {
      if (!haveChromium) {
        console.log(`\n▶ vite: skipped, no Chromium at ${CHROMIUM} (set SAMCLIP_CHROMIUM; under CI=true this fails)`);
      } else {
        step('vite: install tarballs + vite, build, run in headless Chromium');
        const dir = path.join(scratch, 'vite-app');
        await createApp(dir, {
          type: 'module',
          samclip: ['@samclip/core', '@samclip/backend-ort', '@samclip/backend-tfjs'],
          registryDeps: {
            'onnxruntime-web': ENGINES['onnxruntime-web'],
            '@tensorflow/tfjs-core': ENGINES['@tensorflow/tfjs-core'],
            '@tensorflow/tfjs-backend-cpu': ENGINES['@tensorflow/tfjs-backend-cpu'],
            '@tensorflow/tfjs-backend-wasm': ENGINES['@tensorflow/tfjs-backend-wasm'],
            vite: '^8.0.0',
          },
          tarballs,
        });
        for (const file of ['index.html', 'main.js', 'vite.config.js']) cpSync(path.join(CONSUMER, 'vite-app', file), path.join(dir, file));
        cpSync(FIXTURE, path.join(dir, 'public/tiny-random'), { recursive: true });
        copyMatching(path.join(dir, 'node_modules/onnxruntime-web/dist'), path.join(dir, 'public/ort'), /^ort-wasm-simd-threaded\.(jsep\.)?(wasm|mjs)$/);
        copyMatching(path.join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'), path.join(dir, 'public/tfjs-wasm'), /\.wasm$/);
        const build = await run(path.join(dir, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: dir, env: installEnv });
        const buildLog = `${build.stdout}\n${build.stderr}`;
        // A Node built-in in a browser entry shows up as Vite externalizing it: the browser build must not need one.
        if (/externalized for browser compatibility/i.test(buildLog)) throw new Error(`the browser build pulls in Node built-ins:\n${buildLog}`);
        summary.push(...(await runInChromium(path.join(dir, 'dist'), ['ort-wasm', 'tfjs-cpu', 'tfjs-wasm'])).map((r) => ({ app: 'vite', ...r })));
      }
    }
  } finally {
    if (keep) console.log(`\nscratch apps kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  step('results (each held to the fixture references: mask IoU ≥ 0.999, probabilities ± 1e-4)');
  console.table(summary.map(({ app, backend, masks, best, minMaskIoU, top, probabilities }) => ({ app, backend, masks, best, minMaskIoU, top, probabilities: probabilities?.join(' ') })));
}

main().then(
  () => console.log('\nconsumer-test passed'),
  (error) => {
    console.error(`\nconsumer-test failed: ${error.message}`);
    process.exitCode = 1;
  },
);
