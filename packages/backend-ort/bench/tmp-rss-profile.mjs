import ort from 'onnxruntime-node';
import { readFileSync, readdirSync } from 'node:fs';
const [graph] = process.argv.slice(2);
const session = await ort.InferenceSession.create(graph, { executionProviders: ['cpu'], enableCpuMemArena: false, enableMemPattern: false, intraOpNumThreads: 1, enableProfiling: true, profileFilePrefix: '/tmp/ortprof', logSeverityLevel: 3 });
const data = new Float32Array(3 * 1024 * 1024).map((_, i) => Math.sin(i));
const start = Date.now();
await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, 1024, 1024]) });
const end = Date.now();
await session.release();
const file = readdirSync('/tmp').filter((f) => f.startsWith('ortprof')).map((f) => '/tmp/' + f).sort().at(-1);
const samples = readFileSync('/tmp/rss-samples.txt', 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number)).filter(([t]) => t >= start && t <= end);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const run = prof.find((e) => e.cat === 'Session' && e.name === 'model_run');
const rows = prof.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time')).map((n) => ({ name: n.name.replace('_kernel_time', ''), start: (n.ts - run.ts) / 1000, dur: n.dur / 1000, op: n.args.op_name, out: Number(n.args.output_size) }));
const scale = (end - start) / (run.dur / 1000);
samples.sort((a, b) => b[1] - a[1]);
const peak = samples[0];
console.log('run ms', end - start, 'profile run ms', (run.dur / 1000).toFixed(0), 'peak rss MiB', (peak[1] / 1024).toFixed(0), 'at ms', peak[0] - start);
const peakProf = (peak[0] - start) / scale;
console.log('nodes near peak:', rows.filter((r) => r.start <= peakProf + 50 && r.start + r.dur >= peakProf - 200).map((r) => `${r.name}(${r.op}) out=${(r.out / 2 ** 20).toFixed(0)}`).slice(0, 20).join('\n'));
const byOp = {}; for (const r of rows) byOp[r.op] = (byOp[r.op] ?? 0) + r.dur;
console.log(Object.entries(byOp).sort((a, b) => b[1] - a[1]).slice(0, 14).map(([o, d]) => `${o}:${d.toFixed(0)}ms`).join(' '));
samples.sort((a, b) => a[0] - b[0]);
let last = samples[0][1];
for (const [t, rss] of samples) {
  if (rss - last > 15 * 1024 || last - rss > 15 * 1024) {
    const at = (t - start) / scale;
    const node = rows.find((r) => r.start <= at && r.start + r.dur >= at) ?? rows.filter((r) => r.start <= at).at(-1);
    console.log(`${(t - start)}ms rss ${(last / 1024).toFixed(0)} -> ${(rss / 1024).toFixed(0)} MiB during ${node?.name} (${node?.op})`);
    last = rss;
  }
}
if (false) console.log('outputs > 30MiB:', rows.filter((r) => r.out > 30 * 2 ** 20).map((r) => `${r.name}(${r.op})=${(r.out / 2 ** 20).toFixed(0)}`).join(', '));
