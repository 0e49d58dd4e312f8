#!/usr/bin/env node
// Encoder benchmark table: for each graph × engine, one fresh process (encode-once.mjs) under
// /usr/bin/time -v, so each row's peak RSS is that configuration's alone; rows run one at a time.
// Prints a markdown table of medians (wall and process CPU time) with GFLOP/s when --gflop is given
// (from packages/converter/bench/flops.mjs). Run `npm run build` first.
//   node packages/backend-ort/bench/encode-bench.mjs --graph meta=/b/backbone.fp32.onnx --graph chunked=/tmp/c.onnx
//        [--engines raw-node,sdk-node] [--runs 3] [--warmup 1] [--threads N] [--input T.pb] [--gflop 965.6]
//        [--arena off] [--mem-pattern on] [--load bytes|path]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    graph: { type: 'string', multiple: true, default: [] },
    engines: { type: 'string', default: 'raw-node,sdk-node' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string' },
    input: { type: 'string' },
    gflop: { type: 'string' },
    arena: { type: 'string', default: 'off' },
    'mem-pattern': { type: 'string', default: 'on' },
    load: { type: 'string', default: 'bytes' },
  },
});
if (values.graph.length === 0) {
  console.error('usage: encode-bench.mjs --graph LABEL=PATH [--graph LABEL=PATH…] [--engines raw-node,sdk-node] [options]');
  process.exit(2);
}
const once = fileURLToPath(new URL('./encode-once.mjs', import.meta.url));
const timeTool = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const gflop = values.gflop === undefined ? undefined : Number(values.gflop);
const rows = [];
for (const spec of values.graph) {
  const [label, path] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)] : [spec, spec];
  for (const engine of values.engines.split(',')) {
    const args = [once, path, '--engine', engine, '--runs', values.runs, '--warmup', values.warmup, '--arena', values.arena, '--mem-pattern', values['mem-pattern'], '--load', values.load];
    if (values.threads) args.push('--threads', values.threads);
    if (values.input) args.push('--input', values.input);
    const command = timeTool ? [timeTool, '-v', process.execPath, '--expose-gc', ...args] : [process.execPath, '--expose-gc', ...args];
    const child = spawnSync(command[0], command.slice(1), { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    if (child.status !== 0 || !line) {
      console.error(`${label} on ${engine} failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
      rows.push({ label, engine, failed: true });
      continue;
    }
    const result = JSON.parse(line);
    const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr);
    rows.push({ label, engine, ...result, peakRssMiB: timeRss ? Math.round(Number(timeRss[1]) / 1024) : result.peakMiB });
    console.error(`done: ${label} on ${engine}: ${line}`);
  }
}
const header = ['graph', 'engine', 'load ms', 'median ms', 'median CPU ms', 'peak RSS MiB', 'RSS after load MiB'];
if (gflop !== undefined) header.push('GFLOP/s', 'GFLOP per CPU-s');
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) {
  if (row.failed) {
    console.log(`| ${row.label} | ${row.engine} | failed |`);
    continue;
  }
  const cells = [row.label, row.engine, row.loadMs, row.medianMs, row.medianCpuMs, row.peakRssMiB, row.loadedMiB];
  if (gflop !== undefined) cells.push((gflop / (row.medianMs / 1000)).toFixed(1), (gflop / (row.medianCpuMs / 1000)).toFixed(1));
  console.log(`| ${cells.join(' | ')} |`);
}
