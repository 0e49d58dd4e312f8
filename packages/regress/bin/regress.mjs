#!/usr/bin/env node
// Bundles src/cli.ts (and the samclip packages it uses, from their sources) with rolldown into
// node_modules/.cache, then runs it: the matrix needs no prior build of any package.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rolldown } from 'rolldown';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const root = path.resolve(pkg, '../..');
const src = (name, file = 'index.ts') => path.join(root, 'packages', name, 'src', file);
const outDir = path.join(root, 'node_modules', '.cache', 'samclip-regress');
mkdirSync(outDir, { recursive: true });

const build = await rolldown({
  input: path.join(pkg, 'src', 'cli.ts'),
  platform: 'node',
  logLevel: 'warn',
  // Only our own sources are bundled; every installed package is loaded from node_modules.
  external: (id) => !id.startsWith('.') && !path.isAbsolute(id) && !id.startsWith('@samclip/'),
  resolve: {
    alias: {
      '@samclip/core/node': src('core', 'node.ts'),
      '@samclip/core': src('core'),
      '@samclip/prompts': src('prompts'),
      '@samclip/backend-ort/node': src('backend-ort', 'node.ts'),
      '@samclip/backend-ort': src('backend-ort'),
      '@samclip/backend-tfjs': src('backend-tfjs'),
    },
    extensionAlias: { '.js': ['.ts', '.js'] },
  },
});
const file = path.join(outDir, 'cli.mjs');
try {
  await build.write({ file, format: 'esm', codeSplitting: false, sourcemap: true });
} finally {
  await build.close();
}
await import(pathToFileURL(file).href);
