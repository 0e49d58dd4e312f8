#!/usr/bin/env node
// One encoder measurement in a fresh process, so its peak RSS is its own: loads a graph, runs it
// --warmup + --runs times on one input, prints one JSON line. encode-bench.mjs drives it under
// /usr/bin/time -v. Run `npm run build` first (the SDK path imports the packages' dist).
//   node packages/backend-ort/bench/encode-once.mjs GRAPH.onnx --engine raw-node|sdk-node|raw-wasm|sdk-wasm
//        [--input TENSOR.pb] [--runs 3] [--warmup 1] [--threads N] [--arena on|off]
//        [--mem-pattern on|off] [--opt all|extended|basic|disabled] [--load path|bytes]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: 'string', default: 'raw-node' },
    input: { type: 'string' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string' },
    arena: { type: 'string', default: 'off' },
    'mem-pattern': { type: 'string', default: 'on' },
    opt: { type: 'string', default: 'all' },
    load: { type: 'string', default: 'bytes' },
    config: { type: 'string', multiple: true, default: [] },
  },
});
if (positionals.length !== 1) {
  console.error('usage: encode-once.mjs GRAPH.onnx --engine raw-node|sdk-node|raw-wasm|sdk-wasm [options]');
  process.exit(2);
}
const graphPath = positionals[0];
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const onOff = (flag) => flag === 'on';
/** onnxruntime session config entries (`--config session.disable_prepacking=1`), as ort's nested `extra` object. */
const configEntries = {};
for (const entry of values.config) {
  const [key, value] = entry.split('=');
  const path = key.split('.');
  let target = configEntries;
  for (const part of path.slice(0, -1)) target = target[part] ??= {};
  target[path.at(-1)] = value;
}
const mib = (kib) => Math.round(kib / 1024);
const peakMiB = () => mib(process.resourceUsage().maxRSS);

const { decodeTensor, createTensor } = await import('@samclip/core');

function inputTensor(metaDims) {
  if (values.input) return decodeTensor(readFileSync(values.input)).tensor;
  const dims = metaDims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = (seed / 2 ** 32) * 4 - 2;
  }
  return createTensor('float32', dims, data);
}

const cpuTimes = [];
async function time(run) {
  for (let i = 0; i < warmup; i++) await run();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    await run();
    times.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
  }
  return times;
}

const started = performance.now();
let loadMs;
let times;
let outputDims;
/** Resident memory once the session exists and JavaScript garbage is collected (with --expose-gc). */
let loadedMiB;
const [kind, platform] = values.engine.split('-');
if (kind === 'raw') {
  const ort = platform === 'node' ? (await import('onnxruntime-node')).default : await import('onnxruntime-web');
  if (platform === 'wasm') {
    const { ortWebWasmDir } = await import('@samclip/backend-ort/node');
    ort.env.wasm.wasmPaths = ortWebWasmDir();
    if (threads !== undefined) ort.env.wasm.numThreads = threads;
  }
  const options = {
    executionProviders: [platform === 'node' ? 'cpu' : 'wasm'],
    graphOptimizationLevel: values.opt,
    enableCpuMemArena: onOff(values.arena),
    enableMemPattern: onOff(values['mem-pattern']),
    logSeverityLevel: 3,
    extra: configEntries,
    ...(threads !== undefined && platform === 'node' ? { intraOpNumThreads: threads } : {}),
  };
  const session = await ort.InferenceSession.create(values.load === 'path' ? graphPath : readFileSync(graphPath), options);
  loadMs = performance.now() - started;
  const name = session.inputNames[0];
  const meta = session.inputMetadata?.[0];
  const input = inputTensor(meta?.shape ?? [1, 3, 1024, 1024]);
  const feeds = { [name]: new ort.Tensor(input.dtype, input.data, input.dims) };
  const rssAfterLoad = peakMiB();
  globalThis.gc?.();
  loadedMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  times = await time(async () => {
    const out = await session.run(feeds);
    outputDims = Object.values(out)[0].dims;
  });
  await session.release();
  print(rssAfterLoad);
} else {
  const backends = await import('@samclip/backend-ort/node');
  const extra = { enableMemPattern: onOff(values['mem-pattern']), extra: configEntries };
  const backend =
    platform === 'node'
      ? backends.createOrtNodeBackend({ cuda: false, enableCpuMemArena: onOff(values.arena), graphOptimizationLevel: values.opt })
      : backends.createOrtWasmBackend({ wasmPaths: backends.ortWebWasmDir(), enableCpuMemArena: onOff(values.arena), graphOptimizationLevel: values.opt, ...(threads !== undefined ? { numThreads: threads } : {}) });
  const session = await backend.createSession(readFileSync(graphPath), { ...(threads !== undefined ? { threads } : {}), extra });
  loadMs = performance.now() - started;
  const meta = session.inputs[0];
  const input = inputTensor(meta.dims ?? [1, 3, 1024, 1024]);
  const rssAfterLoad = peakMiB();
  globalThis.gc?.();
  loadedMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  times = await time(async () => {
    const out = await session.run({ [meta.name]: input });
    outputDims = Object.values(out)[0].dims;
  });
  await backend.dispose();
  print(rssAfterLoad);
}

function print(rssAfterLoad) {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const cpuSorted = [...cpuTimes].sort((a, b) => a - b);
  console.log(
    JSON.stringify({ engine: values.engine, graph: graphPath, loadMs: Math.round(loadMs), medianMs: Math.round(median), medianCpuMs: Math.round(cpuSorted[Math.floor(cpuSorted.length / 2)]), timesMs: times.map(Math.round), peakAfterLoadMiB: rssAfterLoad, loadedMiB, peakMiB: peakMiB(), outputDims }),
  );
}
