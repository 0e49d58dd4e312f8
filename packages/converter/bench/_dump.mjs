import fs from 'node:fs';
import { loadSamClip, decodeImage } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';
const [dir, variant, out] = process.argv.slice(2);
registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
const model = await loadSamClip(dir, { backend: 'ort-node', variant });
const image = await decodeImage(fs.readFileSync('/work/shared/data/images/truck.jpg'));
const enc = await model.encode(image);
const planes = [];
for (let i = 0; i < 10; i++) { const r = await model.segment(enc, { points: [{ x: (1800 * (i + 1)) / 12, y: 600, label: 'foreground' }] }, { multimask: true, bestOnly: true }); planes.push(r.lowResLogits[0].data); }
const all = new Float32Array(planes.length * 65536); planes.forEach((p, i) => all.set(p, i * 65536));
fs.writeFileSync(out, new Uint8Array(all.buffer));
await model.dispose();
