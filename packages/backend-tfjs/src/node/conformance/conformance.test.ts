import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TfjsBackend } from '../../backend.js';
import { nodeWasmPaths } from '../../node.js';
import { runConformance } from './run.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const casesDir = path.resolve(repoRoot, '../shared/data/onnx-node-tests');
const present = existsSync(casesDir);
if (!present && process.env['CI']) throw new Error(`ONNX node tests not found at ${casesDir}; CI needs the shared data folder.`);

describe.skipIf(!present)('ONNX node-test conformance', () => {
  for (const engine of ['cpu', 'wasm'] as const) {
    it(`passes at least 95% of the shared cases on tfjs-${engine}`, async () => {
      const backend = new TfjsBackend(engine, { wasmPaths: nodeWasmPaths() });
      const results = await runConformance(casesDir, backend);
      const failing = results.filter((r) => r.status === 'fail');
      const rate = (results.length - failing.length) / results.length;
      console.log(`tfjs-${engine}: ${results.length - failing.length}/${results.length} passed\n${failing.map((f) => `  ${f.name}: ${f.reason}`).join('\n')}`);
      expect(results.length).toBe(302);
      expect(rate).toBeGreaterThanOrEqual(0.95);
    }, 600_000);
  }
});
