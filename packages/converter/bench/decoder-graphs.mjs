#!/usr/bin/env node
// Compares the prompt_decoder graphs of several bundles on onnxruntime-node: each graph pruned to
// iou_predictions and low_res_masks (as the SDK runs it), one click at the image centre plus SAM's
// padding point and no mask input, one intra-op thread, the bundles interleaved run by run so the
// machine's state hits them alike. Prints the median and minimum process CPU ms per click after
// 5 warm-up rounds: with one thread that is the graph's cost, which other processes do not inflate.
// --modes whole,staged also (or only) runs each graph as the SDK runs a click: has_mask_input = 0
// bound and the part that reads only the image embeddings split off (bindInputs, splitAtInputs),
// timing the per-click rest. `cropped` is `staged` with the output upscaling cropped to the tokens
// over the 1800×1200 photo (cropOutputUpscaling, as segment(…, { lowResLogits: false }) runs a click).
// --threads 2 runs each session with two intra-op threads; the wall-clock median is printed beside the CPU's.
//   node packages/converter/bench/decoder-graphs.mjs BUNDLE... [--runs 30] [--modes whole,staged,cropped] [--variant fp32] [--threads 1]
// Run `npm run build` first.
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { bindInputs, createTensor, cropOutputUpscaling, decodeModel, encodeModel, gridExtentRead, pruneToOutputs, resizedSizeForLongestSide, splitAtInputs } from '@samclip/core';
import { openBundle } from '@samclip/core/node';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '30' }, modes: { type: 'string', default: 'whole' }, variant: { type: 'string' }, threads: { type: 'string', default: '1' } },
});
const runs = Number(values.runs);
const modes = values.modes.split(',');
const threads = Number(values.threads);
if (positionals.length === 0 || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(threads) || threads < 1 || modes.some((m) => !['whole', 'staged', 'cropped'].includes(m))) {
  console.error('usage: decoder-graphs.mjs BUNDLE... [--runs 30] [--modes whole,staged,cropped] [--variant fp32] [--threads 1]');
  process.exit(2);
}
const sessionOptions = { logSeverityLevel: 3, enableCpuMemArena: false, graphOptimizationLevel: 'all', intraOpNumThreads: threads };

const sessions = [];
let feeds;
for (const dir of positionals) {
  const bundle = await openBundle(dir);
  const graph = bundle.graphsWithRole('prompt_decoder')[0];
  if (!graph) throw new Error(`${dir} has no prompt_decoder graph.`);
  if (!feeds) {
    const { imageSize, maskInputSize } = bundle.manifest.config;
    // The click sits at the centre of a 1800×1200 photo's resized frame.
    const input = resizedSizeForLongestSide({ width: 1800, height: 1200 }, imageSize);
    const embeddings = (await bundle.references().inputs(graph)).find((t) => t.name === 'image_embeddings').tensor;
    feeds = {
      image_embeddings: new ort.Tensor('float32', embeddings.data, embeddings.dims),
      point_coords: new ort.Tensor('float32', Float32Array.of(input.width / 2, input.height / 2, 0, 0), [1, 2, 2]),
      point_labels: new ort.Tensor('float32', Float32Array.of(1, -1), [1, 2]),
      mask_input: new ort.Tensor('float32', new Float32Array(maskInputSize * maskInputSize), [1, 1, maskInputSize, maskInputSize]),
      has_mask_input: new ort.Tensor('float32', Float32Array.of(0), [1]),
      orig_im_size: new ort.Tensor('float32', Float32Array.of(1, 1), [2]),
    };
  }
  const model = decodeModel(await bundle.readGraph(graph, values.variant ?? bundle.defaultVariant(graph)));
  pruneToOutputs(model, ['iou_predictions', 'low_res_masks']);
  if (modes.includes('whole')) sessions.push({ dir, mode: 'whole', session: await ort.InferenceSession.create(encodeModel(model), sessionOptions), feeds, cpu: [], wall: [] });
  const maskSize = feeds.mask_input.dims[2];
  bindInputs(model, { has_mask_input: createTensor('float32', [1], [0]), mask_input: createTensor('float32', [1, 1, maskSize, maskSize], new Float32Array(maskSize * maskSize)) });
  const bound = encodeModel(model);
  for (const mode of modes.filter((m) => m !== 'whole')) {
    const staged = decodeModel(bound);
    const perCall = ['point_coords', 'point_labels', 'orig_im_size'];
    const stageFeeds = { ...feeds };
    if (mode === 'cropped') {
      const grid = cropOutputUpscaling(staged);
      if (!grid) throw new Error(`${dir}: the prompt decoder's output upscaling is not one cropOutputUpscaling recognises.`);
      perCall.push(grid);
      // The tokens SamPredictor's post-processing reads for the 1800×1200 photo, as SamClip.segment computes them.
      const { imageSize } = bundle.manifest.config;
      const geometry = { imageSize, inputSize: resizedSizeForLongestSide({ width: 1800, height: 1200 }, imageSize), originalSize: { width: 1800, height: 1200 } };
      const gridSize = feeds.image_embeddings.dims[2];
      const { rows, cols } = gridExtentRead(geometry, maskSize, { rows: gridSize, cols: gridSize });
      stageFeeds[grid] = new ort.Tensor('int64', BigInt64Array.of(BigInt(rows), BigInt(cols)), [2]);
    }
    const split = splitAtInputs(staged, perCall);
    if (!split) throw new Error(`${dir}: the prompt decoder has no image-only part to split off.`);
    const prefix = await ort.InferenceSession.create(encodeModel(split.prefix), sessionOptions);
    const prefixOut = await prefix.run({ image_embeddings: feeds.image_embeddings });
    await prefix.release();
    const session = await ort.InferenceSession.create(encodeModel(split.suffix), sessionOptions);
    const stagedFeeds = { ...prefixOut };
    for (const name of session.inputNames) stagedFeeds[name] ??= stageFeeds[name];
    sessions.push({ dir, mode, session, feeds: stagedFeeds, cpu: [], wall: [] });
  }
}

const WARMUP = 5;
for (let round = -WARMUP; round < runs; round++) {
  for (const entry of sessions) {
    const before = process.cpuUsage();
    const start = performance.now();
    await entry.session.run(entry.feeds);
    const wall = performance.now() - start;
    const used = process.cpuUsage(before);
    if (round >= 0) {
      entry.cpu.push((used.user + used.system) / 1000);
      entry.wall.push(wall);
    }
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`prompt_decoder, one click, ${threads === 1 ? 'one thread' : `${threads} threads`}, ${runs} interleaved rounds: process CPU ms per click (staged, cropped: the per-click part only)`);
console.log('| bundle | graph | CPU median | CPU min | wall median |');
console.log('|---|---|---|---|---|');
for (const { dir, mode, session, cpu, wall } of sessions) {
  console.log(`| ${dir} | ${mode} | ${median(cpu).toFixed(1)} | ${Math.min(...cpu).toFixed(1)} | ${median(wall).toFixed(1)} |`);
  await session.release();
}
