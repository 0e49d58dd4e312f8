import { builtinModules } from 'node:module';
import path from 'node:path';
import { rolldown } from 'rolldown';
import { describe, expect, it } from 'vitest';
import { repoRoot, sourceAliases } from './browser-runner.js';

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Browser entry points of the SDK: what a web app imports. */
const ENTRIES = {
  '@samclip/core': 'packages/core/src/index.ts',
  '@samclip/prompts': 'packages/prompts/src/index.ts',
  '@samclip/backend-ort': 'packages/backend-ort/src/index.ts',
  '@samclip/backend-tfjs': 'packages/backend-tfjs/src/index.ts',
};

interface BrowserBundle {
  /** `importer → Node built-in` for every Node built-in our own sources reach. */
  nodeImports: string[];
  /**
   * The same for installed dependencies. These are environment-guarded loads (emscripten's
   * ENVIRONMENT_IS_NODE branches, protobufjs's optional fs) that browser bundlers stub out; that
   * the bundles then run is what the regression matrix's Chromium columns check.
   */
  dependencyNodeImports: string[];
  code: string;
}

/** Bundles `entry` as a web app would (platform 'browser', engines inlined), recording Node built-ins. */
async function bundleEntry(entry: string): Promise<BrowserBundle> {
  const nodeImports: string[] = [];
  const dependencyNodeImports: string[] = [];
  const build = await rolldown({
    input: path.join(repoRoot, entry),
    platform: 'browser',
    logLevel: 'silent',
    resolve: { alias: sourceAliases(), extensionAlias: { '.js': ['.ts', '.js'] } },
    plugins: [
      {
        name: 'record-node-builtins',
        resolveId(source, importer) {
          if (!NODE_BUILTINS.has(source)) return null;
          const from = path.relative(repoRoot, importer ?? '?');
          (from.startsWith('packages/') ? nodeImports : dependencyNodeImports).push(`${from} → ${source}`);
          return { id: source, external: true };
        },
      },
    ],
  });
  try {
    const { output } = await build.generate({ format: 'esm', codeSplitting: false });
    return { nodeImports, dependencyNodeImports, code: output.map((chunk) => (chunk.type === 'chunk' ? chunk.code : '')).join('\n') };
  } finally {
    await build.close();
  }
}

describe('browser entry points', () => {
  it.each(Object.entries(ENTRIES))('%s bundles for the browser with no Node built-in', async (_name, entry) => {
    const { nodeImports, dependencyNodeImports, code } = await bundleEntry(entry);
    expect(nodeImports).toEqual([]);
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|import\(["']node:/);
    // Dependencies reach Node built-ins only without the node: prefix, in their Node-only branches.
    expect(dependencyNodeImports.filter((line) => line.includes('→ node:'))).toEqual([]);
  });

  it('a Node-only import is caught (the check can fail)', async () => {
    const { nodeImports } = await bundleEntry('packages/core/src/node.ts');
    expect(nodeImports.some((line) => line.endsWith('node:fs') || line.endsWith('node:fs/promises'))).toBe(true);
  });
});
