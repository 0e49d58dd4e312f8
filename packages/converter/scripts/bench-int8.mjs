#!/usr/bin/env node
// Times a bundle's image encoder on onnxruntime-node (median of --runs, after a warm-up, on the
// bundle's reference input) as exported (fp32), in the ort-node fp32 form the converter writes
// (`--to fp32`: structural passes only, attention chunking) and in the ort-node int8 form, and
// prints a table with each time relative to the exported fp32 graph. Run `npm run build` first.
//   node packages/converter/scripts/bench-int8.mjs BUNDLE [--graph backbone] [--runs 5] [--threads N]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { decodeModel, encodeModel } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import { convertModel } from '@samclip/converter';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { graph: { type: 'string' }, runs: { type: 'string', default: '5' }, threads: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: bench-int8.mjs BUNDLE [--graph NAME] [--runs 5] [--threads N]');
  process.exit(2);
}
const bundle = await openBundle(positionals[0]);
const graph =
  values.graph ?? Object.entries(bundle.manifest.graphs).find(([, e]) => ['backbone', 'sam_encoder', 'clip_image_encoder'].includes(e.role))?.[0];
if (!graph) throw new Error('The bundle has no image encoder graph; pass --graph.');
const runs = Number(values.runs);
const external = await bundle.readExternalData(graph, 'fp32');
const fp32 = await bundle.readGraph(graph, 'fp32');
function convert(to) {
  const model = decodeModel(fp32);
  const started = performance.now();
  convertModel(model, { to, target: 'ort-node' });
  const bytes = encodeModel(model);
  return { bytes, seconds: (performance.now() - started) / 1000 };
}
const fp32Chunked = convert('fp32');
const int8 = convert('int8');

const [input] = await bundle.references().inputs(graph);
const feeds = { [input.name]: new ort.Tensor(input.tensor.dtype, input.tensor.data, input.tensor.dims) };
const options = { graphOptimizationLevel: 'all', logSeverityLevel: 3, ...(values.threads ? { intraOpNumThreads: Number(values.threads) } : {}) };

async function median(bytes, externalData) {
  const session = await ort.InferenceSession.create(bytes, {
    ...options,
    ...(externalData.size > 0 ? { externalData: [...externalData].map(([path, data]) => ({ path, data })) } : {}),
  });
  await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows = [
  ['fp32 (as exported)', fp32, external, undefined],
  ['fp32, ort-node form', fp32Chunked.bytes, new Map(), fp32Chunked.seconds],
  ['int8, ort-node form', int8.bytes, new Map(), int8.seconds],
];
const times = [];
for (const [, bytes, externalData] of rows) times.push(await median(bytes, externalData));
console.log(`graph ${graph}, onnxruntime-node ${ort.env.versions.common}, median of ${runs} runs after a warm-up${values.threads ? `, ${values.threads} threads` : ''}`);
console.log('| model | MB | converted in s | median ms | × fp32 |');
console.log('|---|---|---|---|---|');
rows.forEach(([label, bytes, , seconds], i) => {
  console.log(`| ${label} | ${(bytes.byteLength / 1e6).toFixed(1)} | ${seconds === undefined ? '–' : seconds.toFixed(1)} | ${times[i].toFixed(1)} | ${(times[i] / times[0]).toFixed(2)} |`);
});
