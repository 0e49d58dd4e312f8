/** Node entry: resolves tfjs-backend-wasm's .wasm files from node_modules, so nothing is fetched. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerTfjsBackends } from './index.js';
import type { RegisterTfjsOptions, TfjsBackend } from './index.js';

export * from './index.js';

/** Directory (with trailing separator) holding the installed tfjs-backend-wasm .wasm files. */
export function nodeWasmPaths(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

/** registerTfjsBackends with wasm paths pointing at node_modules. */
export function registerTfjsNodeBackends(options: RegisterTfjsOptions = {}): TfjsBackend[] {
  return registerTfjsBackends({ wasmPaths: nodeWasmPaths(), ...options });
}
