#!/usr/bin/env node
/**
 * npm run bundle-size: what the browser entry points cost an app. Bundles each built entry with
 * rolldown for the browser, minified, as an app's bundler would, and prints bytes and gzip bytes:
 * "with deps" includes the package's dependencies (what lands in the app), "own" leaves every bare
 * import external. Engines (onnxruntime-web, @tensorflow/*) are peer dependencies the app brings
 * and stay external in both. A Node built-in reached from a browser entry fails the run.
 * Needs a build first (npm run build). `--json` prints the table as JSON.
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { rolldown } from 'rolldown';
import { repoRoot } from './lib/workspace.mjs';

const ENTRIES = [
  { name: '@samclip/core', file: 'packages/core/dist/index.js' },
  { name: '@samclip/prompts', file: 'packages/prompts/dist/index.js' },
  { name: '@samclip/backend-ort', file: 'packages/backend-ort/dist/index.js' },
  { name: '@samclip/backend-tfjs', file: 'packages/backend-tfjs/dist/index.js' },
];
const PEER_ENGINES = /^(onnxruntime-(web|node)|@tensorflow\/)/;
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

async function measure(file, { bundleDeps }) {
  const build = await rolldown({
    input: path.join(repoRoot, file),
    platform: 'browser',
    // Built-ins stay unresolved (packages' "browser" field maps the ones they guard, as bundlers do);
    // any that survive are listed from the output's imports below.
    logLevel: 'silent',
    external: (id) => !NODE_BUILTINS.has(id) && (PEER_ENGINES.test(id) || (!bundleDeps && !id.startsWith('.') && !path.isAbsolute(id))),
  });
  try {
    const { output } = await build.generate({ format: 'esm', minify: true, codeSplitting: false });
    const chunks = output.filter((chunk) => chunk.type === 'chunk');
    const code = chunks.map((chunk) => chunk.code).join('\n');
    const builtins = [...new Set(chunks.flatMap((chunk) => [...chunk.imports, ...chunk.dynamicImports]).filter((id) => NODE_BUILTINS.has(id)))];
    return { bytes: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, builtins };
  } finally {
    await build.close();
  }
}

const rows = [];
const problems = [];
for (const entry of ENTRIES) {
  if (!existsSync(path.join(repoRoot, entry.file))) throw new Error(`${entry.file} is missing: run npm run build first`);
  const full = await measure(entry.file, { bundleDeps: true });
  const own = await measure(entry.file, { bundleDeps: false });
  if (full.builtins.length > 0) problems.push(`${entry.name} reaches Node built-ins from its browser entry: ${full.builtins.join(', ')}`);
  rows.push({ entry: entry.name, bytes: full.bytes, gzip: full.gzip, ownBytes: own.bytes, ownGzip: own.gzip });
}

if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
else {
  const n = (bytes) => bytes.toLocaleString('en-US').padStart(9);
  console.log('browser entry, minified, engines external   with deps: bytes / gzip bytes   own code: bytes / gzip bytes');
  for (const r of rows) console.log(`${r.entry.padEnd(42)} ${n(r.bytes)} / ${n(r.gzip)}         ${n(r.ownBytes)} / ${n(r.ownGzip)}`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exitCode = 1;
}
