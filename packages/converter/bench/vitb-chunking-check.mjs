#!/usr/bin/env node
// The full-size proof of the attention-chunking rewrite: runs a bundle's fp32 backbone and its
// chunked rewrite on onnxruntime-node with the bundle's reference input and prints cosine and max
// |Δ| (the bar is cosine ≥ 0.9999). The ViT-B bundle is ~1 GB and never committed, so this is a
// script, not a test. Run `npm run build` first, then:
//   npm run export -- --random --config vit-b --kind sam-clip --out /tmp/vitb-samclip
//   node packages/converter/bench/vitb-chunking-check.mjs /tmp/vitb-samclip
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeModel, decodeTensor, encodeModel } from '@samclip/core';
import { convertModel } from '@samclip/converter';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: vitb-chunking-check.mjs BUNDLE_DIR');
  process.exit(2);
}
const { name, tensor } = decodeTensor(readFileSync(join(dir, 'references/backbone/input_0.pb')));
const feeds = { [name]: new ort.Tensor('float32', tensor.data.slice(), [...tensor.dims]) };

async function run(bytes) {
  const session = await ort.InferenceSession.create(bytes, { enableCpuMemArena: false });
  const outputs = await session.run(feeds);
  await session.release();
  return outputs[session.outputNames[0]].data;
}

const original = readFileSync(join(dir, 'graphs/backbone.fp32.onnx'));
const reference = await run(original);
const model = decodeModel(original);
const reports = convertModel(model, { to: 'fp32', target: 'ort-node' });
const chunked = await run(encodeModel(model));
let dot = 0, na = 0, nb = 0, maxAbs = 0;
for (let i = 0; i < reference.length; i++) {
  dot += reference[i] * chunked[i];
  na += reference[i] ** 2;
  nb += chunked[i] ** 2;
  maxAbs = Math.max(maxAbs, Math.abs(reference[i] - chunked[i]));
}
const cosine = dot / Math.sqrt(na * nb);
const changed = reports.find((r) => r.pass === 'attention-chunking')?.changed ?? 0;
console.log(`attention blocks chunked: ${changed}`);
console.log(`cosine ${cosine.toFixed(7)}  max |Δ| ${maxAbs.toExponential(2)}  ${cosine >= 0.9999 ? 'PASS' : 'FAIL'}`);
process.exitCode = cosine >= 0.9999 ? 0 : 1;
