import { loadSamClip } from '@samclip/core/node';
import { BackendRegistry, backendRegistry } from '@samclip/core';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';
import { decodeImage } from '@samclip/core/node';
const [dir, variant] = process.argv.slice(2);
registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
const inner = (await backendRegistry.resolve('ort-node')).backend;
let runMs = 0;
const spy = { init: () => inner.init(), isSupported: () => inner.isSupported(), createSessionFromFile: (f, o) => inner.createSessionFromFile(f, o),
  createSession: async (b, o) => { const s = await inner.createSession(b, o); return { ...s, inputNames: s.inputNames, outputNames: s.outputNames, run: async (f, n) => { const t = performance.now(); const r = await s.run(f, n); runMs += performance.now() - t; return r; }, dispose: () => s.dispose() }; } };
const registry = new BackendRegistry(); registry.register('spy', spy);
const model = await loadSamClip(dir, { backend: 'spy', registry, variant, sessionOptions: process.env.SPIN === '0' ? { extra: { extra: { session: { intra_op: { allow_spinning: '0' } } } } } : undefined });
const fs = await import('node:fs');
const image = await decodeImage(fs.readFileSync('/work/shared/data/images/truck.jpg'));
const enc = await model.encode(image);
await model.segment(enc, { points: [{ x: 100, y: 600, label: 'foreground' }] }, { multimask: true, bestOnly: true });
const tot = [], eng = []; const ru0 = process.resourceUsage(); const cpu0 = process.cpuUsage();
for (let i = 0; i < 30; i++) { runMs = 0; const t = performance.now(); await model.segment(enc, { points: [{ x: 100 + i * 50, y: 600, label: 'foreground' }] }, { multimask: true, bestOnly: true }); tot.push(performance.now() - t); eng.push(runMs); }
const ru1 = process.resourceUsage(); const cpu1 = process.cpuUsage(cpu0); console.log(`per prompt: minor faults ${((ru1.minorPageFault - ru0.minorPageFault) / 30).toFixed(0)}, user ${(cpu1.user / 30000).toFixed(1)} ms, sys ${(cpu1.system / 30000).toFixed(1)} ms`);
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1].toFixed(2);
console.log(`segment median ${med(tot)} ms, engine ${med(eng)} ms, rest ${med(tot.map((t, i) => t - eng[i]))} ms`);
await model.dispose();
