#!/usr/bin/env node
// The machine's float32 matmul peak on onnxruntime-node: one MatMul graph (built with core's IR)
// per size, median of --runs, in GFLOP/s of wall time and per CPU-second (process CPU time, which
// stays meaningful when other processes share the cores). The encoder's achieved GFLOP/s is read
// against this.
// Run `npm run build` first.
//   node packages/backend-ort/bench/matmul-peak.mjs [--sizes 1024,2048,4096] [--runs 5] [--threads N]
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { encodeModel } from '@samclip/core';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1024,2048,4096' }, runs: { type: 'string', default: '5' }, threads: { type: 'string' } } });
const runs = Number(values.runs);

function matmulModel(n) {
  const info = (name) => ({ name, type: { kind: 'tensor', elemType: 'float32', shape: [n, n] } });
  return encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    metadataProps: [],
    graph: {
      name: 'matmul',
      nodes: [{ name: 'matmul', opType: 'MatMul', domain: '', inputs: ['a', 'b'], outputs: ['c'], attributes: [] }],
      initializers: [],
      inputs: [info('a'), info('b')],
      outputs: [info('c')],
      valueInfo: [],
    },
  });
}

console.log('| n | threads | median ms | GFLOP/s (wall) | median CPU ms | GFLOP per CPU-second |\n|---|---|---|---|---|---|');
for (const n of values.sizes.split(',').map(Number)) {
  const session = await ort.InferenceSession.create(matmulModel(n), {
    logSeverityLevel: 3,
    ...(values.threads ? { intraOpNumThreads: Number(values.threads) } : {}),
  });
  const data = new Float32Array(n * n).map((_, i) => Math.sin(i) * 0.5);
  const feeds = { a: new ort.Tensor('float32', data, [n, n]), b: new ort.Tensor('float32', data, [n, n]) };
  await session.run(feeds);
  const times = [];
  const cpuTimes = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    await session.run(feeds);
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  await session.release();
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const [wall, cpu] = [median(times), median(cpuTimes)];
  const gflop = (2 * n ** 3) / 1e9;
  console.log(`| ${n} | ${values.threads ?? 'default'} | ${wall.toFixed(1)} | ${(gflop / (wall / 1000)).toFixed(1)} | ${cpu.toFixed(1)} | ${(gflop / (cpu / 1000)).toFixed(1)} |`);
}
