#!/usr/bin/env node
// Loads one variant of each graph of a bundle on a backend, runs it once on the bundle's reference
// inputs and prints, per graph, the load and run times and each output's cosine against the
// reference output stored by the exporter. Proves a converted bundle loads and runs; run
// `npm run build` first.
//   node packages/converter/scripts/run-variants.mjs BUNDLE --variant int8 --backend ort-node|ort-wasm|tfjs-cpu|tfjs-wasm [--graphs a,b]
import { parseArgs } from 'node:util';
import { resolveBackend } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';
import { registerTfjsNodeBackends } from '@samclip/backend-tfjs/node';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { variant: { type: 'string', default: 'fp32' }, backend: { type: 'string', default: 'ort-node' }, graphs: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: run-variants.mjs BUNDLE [--variant fp32] [--backend ort-node] [--graphs a,b]');
  process.exit(2);
}
registerOrtNodeBackends();
registerTfjsNodeBackends();
const bundle = await openBundle(positionals[0]);
const graphs = values.graphs ? values.graphs.split(',') : Object.keys(bundle.manifest.graphs);
const { backend } = await resolveBackend(values.backend);

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
}

console.log(`| graph | variant | backend | MB | load s | run s | outputs: cosine vs reference |`);
console.log(`|---|---|---|---|---|---|---|`);
let failed = false;
for (const graph of graphs) {
  const variant = bundle.manifest.graphs[graph]?.variants[values.variant];
  if (!variant) {
    console.log(`| ${graph} | ${values.variant} | ${values.backend} | – | – | – | no such variant |`);
    failed = true;
    continue;
  }
  try {
    const bytes = await bundle.readGraph(graph, values.variant);
    const externalData = await bundle.readExternalData(graph, values.variant);
    const loadStart = performance.now();
    const session = await backend.createSession(bytes, externalData.size > 0 ? { externalData } : {});
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const references = bundle.references();
    const feeds = Object.fromEntries((await references.inputs(graph)).map((input) => [input.name, input.tensor]));
    const expected = await references.outputs(graph);
    const runStart = performance.now();
    const fetches = await session.run(feeds);
    const runSeconds = (performance.now() - runStart) / 1000;
    const cosines = expected.map(({ name, tensor }) => {
      const actual = fetches[name];
      return `${name} ${actual && 'data' in actual ? cosine(actual.data, tensor.data).toFixed(5) : 'missing'}`;
    });
    await session.dispose();
    console.log(`| ${graph} | ${values.variant} | ${values.backend} | ${(bytes.byteLength / 1e6).toFixed(1)} | ${loadSeconds.toFixed(1)} | ${runSeconds.toFixed(1)} | ${cosines.join(', ')} |`);
  } catch (error) {
    failed = true;
    console.log(`| ${graph} | ${values.variant} | ${values.backend} | – | – | – | FAILED: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} |`);
  }
}
process.exitCode = failed ? 1 : 0;
