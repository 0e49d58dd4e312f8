import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests import sibling packages from source so `vitest run` needs no prior build.
export const samclipAliases = {
  '@samclip/core/node': fileURLToPath(new URL('./packages/core/src/node.ts', import.meta.url)),
  '@samclip/core': pkg('core'),
  '@samclip/prompts': pkg('prompts'),
  '@samclip/backend-ort/node': fileURLToPath(new URL('./packages/backend-ort/src/node.ts', import.meta.url)),
  '@samclip/backend-ort': pkg('backend-ort'),
  '@samclip/backend-tfjs/node': fileURLToPath(new URL('./packages/backend-tfjs/src/node.ts', import.meta.url)),
  '@samclip/backend-tfjs': pkg('backend-tfjs'),
  '@samclip/converter': pkg('converter'),
};

export default defineConfig({
  resolve: { alias: samclipAliases },
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
