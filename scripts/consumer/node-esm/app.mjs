// A Node ES module app that knows samclip only from npm: segment + classify on every Node engine.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeTensor } from '@samclip/core';
import { loadSamClip } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';
import { registerTfjsNodeBackends } from '@samclip/backend-tfjs/node';
import { segmentAndClassify } from './check.mjs';

const [bundleDir, ...backends] = process.argv.slice(2);
registerOrtNodeBackends({ 'ort-node-webgpu': false });
registerTfjsNodeBackends({ engines: ['cpu', 'wasm'] });

const results = [];
for (const backend of backends) {
  const model = await loadSamClip(bundleDir, { backend });
  results.push(await segmentAndClassify(model, { decodeTensor, readFile: (file) => readFile(path.join(bundleDir, file)) }));
  await model.dispose();
}
console.log(JSON.stringify(results));
