#!/usr/bin/env node
// Interleaved A/B timing of two graphs on onnxruntime-node in one process: A, B, A, B… so that
// load from other processes on a shared machine hits both alike. Prints wall and CPU medians and
// the B/A ratios. (Peak memory is not measured here: both sessions live in the process; use
// encode-bench.mjs for memory.) Run `npm run build` first.
//   node packages/backend-ort/bench/ab-bench.mjs A.onnx B.onnx [--input T.pb] [--rounds 4] [--threads N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { decodeTensor } from '@samclip/core';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { input: { type: 'string' }, rounds: { type: 'string', default: '4' }, threads: { type: 'string' } } });
if (positionals.length !== 2) {
  console.error('usage: ab-bench.mjs A.onnx B.onnx [--input T.pb] [--rounds 4] [--threads N]');
  process.exit(2);
}
const options = { enableCpuMemArena: false, graphOptimizationLevel: 'all', logSeverityLevel: 3, ...(values.threads ? { intraOpNumThreads: Number(values.threads) } : {}) };
const sessions = [];
for (const path of positionals) sessions.push(await ort.InferenceSession.create(readFileSync(path), options));
const input = values.input ? decodeTensor(readFileSync(values.input)).tensor : { dtype: 'float32', dims: [1, 3, 1024, 1024], data: new Float32Array(3 * 1024 * 1024).map((_, i) => Math.sin(i)) };
const feeds = (session) => ({ [session.inputNames[0]]: new ort.Tensor(input.dtype, input.data, input.dims) });
const wall = [[], []];
const cpu = [[], []];
for (const session of sessions) await session.run(feeds(session));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [i, session] of sessions.entries()) {
    const start = performance.now();
    const usage = process.cpuUsage();
    await session.run(feeds(session));
    wall[i].push(performance.now() - start);
    const used = process.cpuUsage(usage);
    cpu[i].push((used.user + used.system) / 1000);
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(`| graph | median ms | median CPU ms | runs (ms) |\n|---|---|---|---|`);
positionals.forEach((path, i) => console.log(`| ${i === 0 ? 'A' : 'B'}: ${path} | ${median(wall[i]).toFixed(0)} | ${median(cpu[i]).toFixed(0)} | ${wall[i].map((t) => t.toFixed(0)).join(', ')} |`));
console.log(`B/A: wall ${(median(wall[1]) / median(wall[0])).toFixed(3)}, CPU ${(median(cpu[1]) / median(cpu[0])).toFixed(3)}`);
await Promise.all(sessions.map((s) => s.release()));
