import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { samclipAliases } from '../vitest.config.ts';

// The repository's own tests of its release tooling and docs: `npm run test:scripts`.
// @samclip/* resolve to source as in the package tests (the root vitest.config.ts aliases).
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  resolve: { alias: samclipAliases },
  test: {
    include: ['scripts/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
