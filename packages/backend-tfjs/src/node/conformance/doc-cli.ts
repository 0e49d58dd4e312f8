/**
 * npm run conformance:doc -w @samclip/backend-tfjs -- --cases DIR --doc docs/backends.md
 * Runs the conformance cases on tfjs-cpu and tfjs-wasm and rewrites the generated block of the doc
 * (between the conformance markers): pass rates, the op coverage table and every failing case.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { TfjsBackend } from '../../backend.js';
import { nodeWasmPaths } from '../../node.js';
import { renderReport, spliceReport } from './report.js';
import { runConformance } from './run.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cases: { type: 'string' }, doc: { type: 'string' } } });
  if (!values.cases || !values.doc) {
    process.stderr.write('usage: conformance:doc --cases DIR --doc docs/backends.md\n');
    process.exitCode = 2;
    return;
  }
  const runs = [];
  for (const engine of ['cpu', 'wasm'] as const) {
    const backend = new TfjsBackend(engine, { wasmPaths: nodeWasmPaths() });
    runs.push({ backend: backend.name, results: await runConformance(values.cases, backend) });
  }
  const doc = await readFile(values.doc, 'utf8').catch(() => '');
  await writeFile(values.doc, spliceReport(doc, renderReport(runs)));
  process.stdout.write(`wrote the conformance section of ${values.doc}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
