// A Node ES module app that knows samclip only from npm: segment + classify on every Node engine.
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
  results.push(await segmentAndClassify(model));
  await model.dispose();
}
console.log(JSON.stringify(results));
