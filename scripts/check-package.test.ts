/**
 * The tarball checks used by consumer-test and publish:dry-run, on a small package written to a
 * temporary directory: a clean one passes, each kind of problem is named.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPackedPackage, importedSpecifiers } from './lib/check-package.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fixturePackage(files: Record<string, string>, manifest: Record<string, unknown> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'samclip-check-'));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return {
    name: '@samclip/example',
    dir,
    files: Object.keys(files),
    manifest: {
      name: '@samclip/example',
      description: 'example',
      license: 'Apache-2.0',
      type: 'module',
      sideEffects: false,
      engines: { node: '>=20' },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      publishConfig: { access: 'public' },
      dependencies: { fflate: '^0.8.2' },
      ...manifest,
    },
  };
}

const clean = {
  'src/index.ts': "export * from './a.js';",
  'src/a.ts': "import { gzip } from 'fflate';",
  'dist/index.js': "export * from './a.js';\n",
  'dist/index.d.ts': "export * from './a.js';\n",
  'dist/a.js': "import { gzip } from 'fflate';\nimport { readFile } from 'node:fs/promises';\nexport const a = 1;\n",
  'dist/a.d.ts': 'export declare const a = 1;\n',
};

describe('importedSpecifiers', () => {
  it('finds static, re-export, side-effect, dynamic and require imports but not strings or comments', () => {
    const code = [
      "import { a } from 'x';",
      "export * from './y.js';",
      "import 'side';",
      "const m = await import('dyn');",
      "const r = require('req');",
      "// import { z } from 'commented';",
      "throw new Error(\"register it: import { b } from 'quoted'\");",
    ].join('\n');
    expect(importedSpecifiers(code).sort()).toEqual(['./y.js', 'dyn', 'req', 'side', 'x']);
  });
});

describe('checkPackedPackage', () => {
  it('passes a clean package', () => {
    expect(checkPackedPackage(fixturePackage(clean))).toEqual([]);
  });

  it('names dev-only files, missing entry points, undeclared imports and stale output', () => {
    const pkg = fixturePackage({
      ...clean,
      'dist/a.test.js': "import { it } from 'vitest';\n",
      'dist/test-utils/data.js': '',
      'dist/b.js': "import x from 'left-pad';\nimport y from './missing.js';\n",
      'dist/b.d.ts': '',
    });
    pkg.manifest.exports = { ...(pkg.manifest.exports as object), './node': { types: './dist/node.d.ts', default: './dist/node.js' } };
    const problems = checkPackedPackage(pkg);
    expect(problems).toContain('ships dev-only file dist/a.test.js');
    expect(problems).toContain('ships dev-only file dist/test-utils/data.js');
    expect(problems).toContain('entry point ./dist/node.js is not in the tarball');
    expect(problems).toContain('dist/b.js imports left-pad, which is not a dependency or peer dependency');
    expect(problems).toContain('dist/b.js imports ./missing.js, which is not in the tarball');
    expect(problems).toContain('dist/b.js has no source src/b.ts (stale build output: delete dist and rebuild)');
  });

  it('requires publish metadata and source maps whose sources ship', () => {
    const pkg = fixturePackage({ ...clean, 'dist/a.js.map': JSON.stringify({ version: 3, sources: ['../src/a.ts', '../src/gone.ts'], mappings: '' }) }, { publishConfig: undefined, sideEffects: undefined });
    const problems = checkPackedPackage(pkg);
    expect(problems).toContain('is scoped but lacks publishConfig.access "public"');
    expect(problems).toContain('does not declare "sideEffects"');
    expect(problems).toContain('dist/a.js.map maps to src/gone.ts, which is not in the tarball');
    expect(problems).not.toContain('dist/a.js.map maps to src/a.ts, which is not in the tarball');
  });
});
