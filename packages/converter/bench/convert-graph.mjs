#!/usr/bin/env node
// Converts one .onnx graph file with the converter's pipeline and writes the result, printing what
// each pass did: for trying attention-chunk sizes and precisions on a big graph without touching a
// bundle. Run `npm run build` first.
//   node packages/converter/bench/convert-graph.mjs IN.onnx OUT.onnx [--to fp32|int8|fp16|int4]
//        [--target ort-node|ort-wasm|ort-webgpu|tfjs] [--chunk-mib 24] [--min-mib 64] [--no-chunk]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { decodeModel, encodeModel } from '@samclip/core';
import { convertModel, DEFAULT_CHUNK_SCORE_BYTES, DEFAULT_MIN_SCORE_BYTES } from '@samclip/converter';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    to: { type: 'string', default: 'fp32' },
    target: { type: 'string', default: 'ort-node' },
    'chunk-mib': { type: 'string' },
    'min-mib': { type: 'string' },
    'no-chunk': { type: 'boolean', default: false },
  },
});
if (positionals.length !== 2) {
  console.error('usage: convert-graph.mjs IN.onnx OUT.onnx [--to fp32] [--target ort-node] [--chunk-mib N] [--min-mib N] [--no-chunk]');
  process.exit(2);
}
const [input, output] = positionals;
const mib = 2 ** 20;
const chunkAttention = values['no-chunk']
  ? false
  : {
      minScoreBytes: values['min-mib'] ? Number(values['min-mib']) * mib : DEFAULT_MIN_SCORE_BYTES,
      attentionChunkBytes: values['chunk-mib'] ? Number(values['chunk-mib']) * mib : DEFAULT_CHUNK_SCORE_BYTES,
    };
const started = performance.now();
const model = decodeModel(readFileSync(input));
const reports = convertModel(model, { to: values.to, target: values.target, preset: { chunkAttention } });
const bytes = encodeModel(model);
writeFileSync(output, bytes);
for (const report of reports) {
  console.log(`${report.pass}: ${report.changed} changed`);
  if (report.pass === 'attention-chunking') for (const note of report.notes ?? []) console.log(`  ${note}`);
}
console.log(`wrote ${output} (${(bytes.byteLength / 1e6).toFixed(1)} MB, ${model.graph.nodes.length} nodes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
