#!/usr/bin/env node
// Times a bundle's image encoder on onnxruntime-node in fp32 and in the ort-node int8 form the
// converter writes (median of --runs), on the bundle's reference input. Run `npm run build` first.
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
const model = decodeModel(fp32);
const started = performance.now();
convertModel(model, { to: 'int8', target: 'ort-node' });
const int8 = encodeModel(model);
const convertSeconds = (performance.now() - started) / 1000;

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

const fp32Ms = await median(fp32, external);
const int8Ms = await median(int8, new Map());
console.log(`graph ${graph}: converted in ${convertSeconds.toFixed(1)} s, ${(int8.byteLength / 1e6).toFixed(1)} MB int8`);
console.log(`fp32 ${fp32Ms.toFixed(1)} ms, int8 ${int8Ms.toFixed(1)} ms (median of ${runs}); int8/fp32 = ${(int8Ms / fp32Ms).toFixed(2)}`);
