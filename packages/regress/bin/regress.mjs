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
  plugins: [
    {
      // Only our own sources are bundled. Installed packages stay external, imported by the file
      // they resolve to from their importer, since packages may nest their own versions (ajv).
      name: 'externalize-installed-packages',
      async resolveId(source, importer) {
        if (source.startsWith('.') || path.isAbsolute(source) || source.startsWith('@samclip/') || source.startsWith('node:')) return null;
        const resolved = await this.resolve(source, importer, { skipSelf: true });
        return resolved ? { id: resolved.id, external: true } : null;
      },
    },
  ],
  external: [/^node:/],
  resolve: {
    alias: {
      '@samclip/core/node': src('core', 'node.ts'),
      '@samclip/core': src('core'),
      '@samclip/prompts': src('prompts'),
      '@samclip/backend-ort/node': src('backend-ort', 'node.ts'),
      '@samclip/backend-ort': src('backend-ort'),
      '@samclip/backend-tfjs': src('backend-tfjs'),
      '@samclip/converter': src('converter'),
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
