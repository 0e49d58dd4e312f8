#!/usr/bin/env node
// One prompt → final mask at the original resolution, with a bundle's prompt_decoder on
// onnxruntime-node, the SDK's decoder path before and after the fast path, in one process. Each
// path runs its --runs back to back after 3 warm-up runs, medians reported (not interleaved:
// onnxruntime's intra-op threads spin for a while after a run, so a session run right after
// another one competes with that one's spinning threads):
//   meta          the graph as exported, all outputs: the K masks upsampled to the original size
//                 inside the graph, the chosen one thresholded;
//   sdk-before    what SamClip.segment did before: the whole graph with the real orig_im_size,
//                 then the three multimask outputs resampled to full size and thresholded;
//   sdk           SamClip.segment(…, { bestOnly: true }) now: the graph pruned to iou_predictions
//                 and low_res_masks (core's pruneToOutputs, as the SDK's runner does), the best
//                 of the three resampled with maskFromLogits (only near the mask's boundary);
//   sdk-3         the same graph, all three masks through maskFromLogits (segment's default);
//   sdk-converted `sdk` on the pruned graph through the converter's fp32 pipeline for the target
//                 (what `samclip convert --to fp32 --target ort-node|ort-wasm` writes: constant
//                 folding, LayerNorm2d fusion);
//   sdk-int8      `sdk` on the pruned graph converted to int8 for the target (with --int8).
// --engine wasm runs onnxruntime-web (ort-wasm) instead of onnxruntime-node.
// The prompt is one click at the image centre (plus SAM's padding point, no mask input), what
// `samclip bench` and an app's click send; --prompt reference uses the bundle's stored decoder
// inputs instead (two points, a box and a mask input).
// Columns: wall ms (median, p90), engine ms, post-processing ms, engine CPU ms (process.cpuUsage,
// which other processes' load does not inflate), mask area, and IoU / max |Δ low-res logits|
// against `meta`'s chosen mask. Run `npm run build` first.
//   node packages/converter/bench/decoder-bench.mjs BUNDLE [--width 1800 --height 1200] [--runs 20] [--threads N] [--int8] [--engine node|wasm] [--prompt click|reference]
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeModel, encodeModel, maskFromLogits, maskIoU, maskLogitsToImage, maskPlane, pruneToOutputs, resizedSizeForLongestSide, thresholdMap } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import { convertModel } from '@samclip/converter';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    width: { type: 'string', default: '1800' },
    height: { type: 'string', default: '1200' },
    runs: { type: 'string', default: '20' },
    threads: { type: 'string' },
    int8: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'node' },
    prompt: { type: 'string', default: 'click' },
  },
});
if (!['node', 'wasm'].includes(values.engine)) {
  console.error('--engine must be node (onnxruntime-node) or wasm (onnxruntime-web)');
  process.exit(2);
}
const target = values.engine === 'node' ? 'ort-node' : 'ort-wasm';
const ort = values.engine === 'node' ? (await import('onnxruntime-node')).default : await import('onnxruntime-web');
if (values.engine === 'wasm') {
  ort.env.wasm.wasmPaths = pathToFileURL(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + path.sep).href;
  if (values.threads) ort.env.wasm.numThreads = Number(values.threads);
}
if (!['click', 'reference'].includes(values.prompt)) {
  console.error('--prompt must be click (one point at the image centre) or reference (the bundle\'s stored decoder inputs)');
  process.exit(2);
}
if (positionals.length !== 1) {
  console.error('usage: decoder-bench.mjs BUNDLE [--width 1800] [--height 1200] [--runs 20] [--threads N] [--int8] [--engine node|wasm] [--prompt click|reference]');
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
if (values.prompt === 'click') {
  const { width, height } = geometry.inputSize;
  feeds.point_coords = new ort.Tensor('float32', Float32Array.of(width / 2, height / 2, 0, 0), [1, 2, 2]);
  feeds.point_labels = new ort.Tensor('float32', Float32Array.of(1, -1), [1, 2]);
  feeds.mask_input = new ort.Tensor('float32', new Float32Array(feeds.mask_input.data.length), feeds.mask_input.dims);
  feeds.has_mask_input = new ort.Tensor('float32', Float32Array.of(0), [1]);
}
const fullSize = new ort.Tensor('float32', Float32Array.of(originalSize.height, originalSize.width), [2]);
const oneByOne = new ort.Tensor('float32', Float32Array.of(1, 1), [2]);

const fullBytes = await bundle.readGraph(graph);
const pruned = decodeModel(fullBytes);
pruneToOutputs(pruned, ['iou_predictions', 'low_res_masks']);
const prunedBytes = encodeModel(pruned);

// The CPU memory arena off, as samclip's ort-node backend creates sessions: with it on, a click
// faults in fewer fresh pages (39–49 instead of 46–52 ms per prompt in `samclip bench`), but the
// decoder's arena adds 30–40 MB to the peak RSS, which then crosses issue 9's 1.5 GB bar.
const options = {
  logSeverityLevel: 3,
  enableCpuMemArena: false,
  graphOptimizationLevel: 'all',
  executionProviders: [values.engine === 'node' ? 'cpu' : 'wasm'],
  ...(values.threads && values.engine === 'node' ? { intraOpNumThreads: Number(values.threads) } : {}),
};
function converted(to) {
  const model = decodeModel(prunedBytes);
  convertModel(model, { to, target, preset: { chunkAttention: false } });
  return encodeModel(model);
}
const sessions = {
  full: await ort.InferenceSession.create(fullBytes, options),
  pruned: await ort.InferenceSession.create(prunedBytes, options),
  converted: await ort.InferenceSession.create(converted('fp32'), options),
};
if (values.int8) sessions.int8 = await ort.InferenceSession.create(converted('int8'), options);

/** SAM's choice: with 4 outputs, the best-scoring of the three multimask outputs; with 1, that one. */
function multimaskIndices(iou) {
  return iou.data.length === 1 ? [0] : [1, 2, 3].filter((i) => i < iou.data.length);
}
function chosen(iou) {
  const indices = multimaskIndices(iou);
  let best = indices[0];
  for (const i of indices) if (iou.data[i] > iou.data[best]) best = i;
  return best;
}

let engineMs = 0;
let engineCpuMs = 0;
let lowRes;
async function timedRun(session, origImSize, fetches) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const out = await session.run({ ...feeds, orig_im_size: origImSize }, fetches);
  engineMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  engineCpuMs = (used.user + used.system) / 1000;
  lowRes = out.low_res_masks;
  return out;
}

const plane = (out, index) => maskPlane(out.low_res_masks.data, index, out.low_res_masks.dims[2], out.low_res_masks.dims[3]);
const paths = {
  meta: async () => {
    const out = await timedRun(sessions.full, fullSize);
    const [, , h, w] = out.masks.dims;
    const index = chosen(out.iou_predictions);
    return thresholdMap({ width: w, height: h, data: out.masks.data.subarray(index * h * w, (index + 1) * h * w) });
  },
  'sdk-before': async () => {
    const out = await timedRun(sessions.full, fullSize, ['iou_predictions', 'low_res_masks']);
    const masks = multimaskIndices(out.iou_predictions).map((i) => thresholdMap(maskLogitsToImage(plane(out, i), geometry)));
    return masks[multimaskIndices(out.iou_predictions).indexOf(chosen(out.iou_predictions))];
  },
  sdk: async () => {
    const out = await timedRun(sessions.pruned, oneByOne);
    return maskFromLogits(plane(out, chosen(out.iou_predictions)), geometry).mask;
  },
  'sdk-3': async () => {
    const out = await timedRun(sessions.pruned, oneByOne);
    const masks = multimaskIndices(out.iou_predictions).map((i) => maskFromLogits(plane(out, i), geometry).mask);
    return masks[multimaskIndices(out.iou_predictions).indexOf(chosen(out.iou_predictions))];
  },
  'sdk-converted': async () => {
    const out = await timedRun(sessions.converted, oneByOne);
    return maskFromLogits(plane(out, chosen(out.iou_predictions)), geometry).mask;
  },
  ...(sessions.int8
    ? {
        'sdk-int8': async () => {
          const out = await timedRun(sessions.int8, oneByOne);
          return maskFromLogits(plane(out, chosen(out.iou_predictions)), geometry).mask;
        },
      }
    : {}),
};

const names = Object.keys(paths);
const samples = Object.fromEntries(names.map((n) => [n, { wall: [], engine: [], cpu: [] }]));
const masks = {};
const logits = {};
const WARMUP = 3;
for (const name of names) {
  for (let round = -WARMUP; round < runs; round++) {
    const start = performance.now();
    const mask = await paths[name]();
    const wall = performance.now() - start;
    if (round < 0) {
      // The first warm-up run keeps the path's mask and logits for the comparison columns.
      if (round === -WARMUP) {
        masks[name] = mask;
        logits[name] = Float32Array.from(lowRes.data);
      }
      continue;
    }
    samples[name].wall.push(wall);
    samples[name].engine.push(engineMs);
    samples[name].cpu.push(engineCpuMs);
  }
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const p90 = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length * 0.9)];
function maxAbs(a, b) {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
console.log(`prompt_decoder of ${positionals[0]} on ${values.engine === 'node' ? 'onnxruntime-node' : 'onnxruntime-web (wasm)'}, one ${values.prompt === 'click' ? 'click' : 'reference prompt'} → mask at ${originalSize.width}×${originalSize.height}, median of ${runs} runs per path, ${values.threads ?? 'default'} threads`);
console.log('| path | median ms | p90 ms | engine ms | post-processing ms | engine CPU ms | mask area px | IoU vs meta | max abs Δ low-res vs meta |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const name of names) {
  const s = samples[name];
  const post = s.wall.map((w, i) => w - s.engine[i]);
  const area = masks[name].data.reduce((a, b) => a + b, 0);
  console.log(
    `| ${name} | ${median(s.wall).toFixed(1)} | ${p90(s.wall).toFixed(1)} | ${median(s.engine).toFixed(1)} | ${median(post).toFixed(1)} | ${median(s.cpu).toFixed(1)} | ${area} | ${maskIoU(masks[name], masks.meta).toFixed(5)} | ${maxAbs(logits[name], logits.meta).toExponential(2)} |`,
  );
}
await Promise.all(Object.values(sessions).map((s) => s.release()));
