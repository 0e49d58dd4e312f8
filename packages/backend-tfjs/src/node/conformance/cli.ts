/**
 * npm run conformance -w @samclip/backend-tfjs -- --cases DIR --backend tfjs-cpu|tfjs-wasm [--json] [--filter SUBSTR]
 * Prints one line per case (or a JSON array with --json) and a pass-rate summary.
 */
import { parseArgs } from 'node:util';
import { resolveBackend } from '@samclip/core';
import { registerTfjsNodeBackends } from '../../node.js';
import { runConformance } from './run.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' },
      backend: { type: 'string', default: 'tfjs-cpu' },
      json: { type: 'boolean', default: false },
      filter: { type: 'string', multiple: true },
    },
  });
  if (!values.cases) {
    process.stderr.write('usage: conformance --cases DIR --backend tfjs-cpu|tfjs-wasm [--json] [--filter SUBSTR]\n');
    process.exitCode = 2;
    return;
  }
  registerTfjsNodeBackends({ engines: ['cpu', 'wasm'] });
  const { backend, name } = await resolveBackend(values.backend);
  const results = await runConformance(values.cases, backend, {
    ...(values.filter ? { filter: values.filter } : {}),
    onResult: values.json ? undefined : (r) => process.stdout.write(`${r.status === 'pass' ? 'PASS' : 'FAIL'} ${r.name}${r.reason ? ` — ${r.reason}` : ''}\n`),
  });
  const passed = results.filter((r) => r.status === 'pass').length;
  if (values.json) process.stdout.write(`${JSON.stringify({ backend: name, passed, total: results.length, results }, null, 2)}\n`);
  else process.stdout.write(`${name}: ${passed}/${results.length} passed (${((100 * passed) / Math.max(1, results.length)).toFixed(1)}%)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
