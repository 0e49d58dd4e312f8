#!/usr/bin/env node
// One prompt → final mask at the original resolution, with a bundle's prompt_decoder on
// onnxruntime-node. Three ways, median of --runs each, post-processing included:
//   meta      the graph as exported: all K masks upsampled to the original size inside the graph
//             (`masks`), then the chosen one thresholded;
//   subset    the same graph asked only for iou_predictions + low_res_masks (does ORT skip `masks`?);
//   low-res   the graph with the `masks` output pruned (the converter's dead-node elimination), then
//             the chosen low-res mask upsampled, cropped and resized in one composed pass
//             (core's maskFromLogits): the decoder fast path.
// Run `npm run build` first.
//   node packages/converter/bench/decoder-bench.mjs BUNDLE [--width 1800 --height 1200] [--runs 20] [--threads N]
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, maskFromLogits, maskPlane, resizedSizeForLongestSide } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import { eliminateDeadNodes } from '@samclip/converter';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { width: { type: 'string', default: '1800' }, height: { type: 'string', default: '1200' }, runs: { type: 'string', default: '20' }, threads: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: decoder-bench.mjs BUNDLE [--width 1800] [--height 1200] [--runs 20] [--threads N]');
  process.exit(2);
}
const bundle = await openBundle(positionals[0]);
const graph = Object.entries(bundle.manifest.graphs).find(([, e]) => e.role === 'prompt_decoder')?.[0];
if (!graph) throw new Error('The bundle has no prompt_decoder graph.');
const imageSize = bundle.manifest.config.imageSize;
const originalSize = { width: Number(values.width), height: Number(values.height) };
const geometry = { imageSize, inputSize: resizedSizeForLongestSide(originalSize, imageSize), originalSize };
const runs = Number(values.runs);

const feeds = {};
for (const { name, tensor } of await bundle.references().inputs(graph)) feeds[name] = new ort.Tensor(tensor.dtype, tensor.data, tensor.dims);
feeds.orig_im_size = new ort.Tensor('float32', Float32Array.of(originalSize.height, originalSize.width), [2]);

const fullBytes = await bundle.readGraph(graph);
const pruned = decodeModel(fullBytes);
pruned.graph.outputs = pruned.graph.outputs.filter((o) => o.name !== 'masks');
eliminateDeadNodes(pruned);
const prunedBytes = encodeModel(pruned);

const options = { logSeverityLevel: 3, ...(values.threads ? { intraOpNumThreads: Number(values.threads) } : {}) };
const sessions = { full: await ort.InferenceSession.create(fullBytes, options), pruned: await ort.InferenceSession.create(prunedBytes, options) };

/** SAM's choice: with 4 outputs, the best-scoring of the three multimask outputs; with 1, that one. */
function chosen(iou) {
  const data = iou.data;
  if (data.length === 1) return 0;
  let best = 1;
  for (let i = 2; i < data.length; i++) if (data[i] > data[best]) best = i;
  return best;
}

function thresholdPlane(masks, index) {
  const [, , h, w] = masks.dims;
  const plane = masks.data.subarray(index * h * w, (index + 1) * h * w);
  const out = new Uint8Array(h * w);
  let area = 0;
  for (let i = 0; i < out.length; i++) if (plane[i] > 0) (out[i] = 1), area++;
  return area;
}

/** Engine and post-processing time of the last run of each path, for the breakdown columns. */
let engineMs = 0;
async function timedRun(session, fetches) {
  const start = performance.now();
  const out = fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  engineMs = performance.now() - start;
  return out;
}

const paths = {
  meta: async () => {
    const out = await timedRun(sessions.full);
    return thresholdPlane(out.masks, chosen(out.iou_predictions));
  },
  subset: async () => {
    const out = await timedRun(sessions.full, ['iou_predictions', 'low_res_masks']);
    const [, , m] = out.low_res_masks.dims;
    return maskFromLogits(maskPlane(out.low_res_masks.data, chosen(out.iou_predictions), m, m), geometry).area;
  },
  'low-res': async () => {
    const out = await timedRun(sessions.pruned);
    const [, , m] = out.low_res_masks.dims;
    return maskFromLogits(maskPlane(out.low_res_masks.data, chosen(out.iou_predictions), m, m), geometry).area;
  },
};

console.log(`prompt_decoder of ${positionals[0]}, one prompt, mask at ${originalSize.width}×${originalSize.height}, median of ${runs} runs`);
console.log('| path | median ms | p90 ms | engine ms (median) | post-processing ms (median) | mask area px |\n|---|---|---|---|---|---|');
for (const [name, run] of Object.entries(paths)) {
  let area = await run();
  const times = [];
  const engine = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    area = await run();
    times.push(performance.now() - start);
    engine.push(engineMs);
  }
  const post = times.map((t, i) => t - engine[i]);
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  times.sort((a, b) => a - b);
  console.log(`| ${name} | ${median(times).toFixed(1)} | ${times[Math.floor(runs * 0.9)].toFixed(1)} | ${median(engine).toFixed(1)} | ${median(post).toFixed(1)} | ${area} |`);
}
await Promise.all(Object.values(sessions).map((s) => s.release()));
