// A CommonJS app: samclip is ESM-only and loads through require(esm) (Node ≥ 20.19 / ≥ 22.12).
/* eslint-disable @typescript-eslint/no-require-imports -- the point of this app is require() of the packages */
const { readFile } = require('node:fs/promises');
const path = require('node:path');
const { decodeTensor } = require('@samclip/core');
const { loadSamClip } = require('@samclip/core/node');
const { registerOrtNodeBackends } = require('@samclip/backend-ort/node');
const { segmentAndClassify } = require('./check.mjs');

async function main() {
  const [bundleDir] = process.argv.slice(2);
  registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
  const model = await loadSamClip(bundleDir, { backend: 'ort-node' });
  const result = await segmentAndClassify(model, { decodeTensor, readFile: (file) => readFile(path.join(bundleDir, file)) });
  await model.dispose();
  console.log(JSON.stringify([result]));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
