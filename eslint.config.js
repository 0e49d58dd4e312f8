import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', 'tools/**', 'fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['../../*/src/*', '@samclip/*/src/*'], message: 'Import sibling packages by name, never by source path.' }] }],
    },
  },
  {
    // Browser-safe packages must not reach for Node built-ins outside their Node entry points.
    files: ['packages/core/src/**/*.ts', 'packages/prompts/src/**/*.ts', 'packages/backend-tfjs/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/node.ts', '**/node/**', '**/test-utils/**', '**/bench/**', '**/scripts/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'os', 'crypto', 'zlib', 'url', 'child_process'], message: 'Browser entry points use no Node built-ins; put Node code in node.ts.' }] }],
    },
  },
);
