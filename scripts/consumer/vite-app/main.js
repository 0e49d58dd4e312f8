// A Vite browser app that knows samclip only from npm: the bundle is served from public/tiny-random/.
import { env } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { SamClip, decodeTensor, loadBundle } from '@samclip/core';
import { registerOrtWebBackends } from '@samclip/backend-ort';
import { registerTfjsBackends } from '@samclip/backend-tfjs';
import { segmentAndClassify } from './check.mjs';

// onnxruntime-web and tfjs-backend-wasm find their .wasm files where the app serves them (public/).
registerOrtWebBackends({ 'ort-webgpu': false, 'ort-wasm': { wasmPaths: '/ort/' } });
registerTfjsBackends({ engines: ['cpu', 'wasm'], wasmPaths: '/tfjs-wasm/' });
// tfjs-backend-wasm's threaded build starts its workers from the source text of a function, which a
// minifier breaks ("e is not defined" in the worker); minified apps run it single-threaded.
env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

async function main() {
  const backends = new URLSearchParams(location.search).getAll('backend');
  const bundleUrl = new URL('tiny-random/', location.href);
  const bundle = await loadBundle(bundleUrl.href);
  const readFile = async (file) => {
    const response = await fetch(new URL(file, bundleUrl));
    if (!response.ok) throw new Error(`GET ${file}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const results = [];
  for (const backend of backends) {
    const model = await SamClip.load(bundle, { backend });
    results.push(await segmentAndClassify(model, { decodeTensor, readFile }));
    await model.dispose();
  }
  return results;
}

const output = document.getElementById('result');
window.samclipResult = main().then(
  (results) => {
    output.textContent = JSON.stringify(results, null, 2);
    return { ok: true, results };
  },
  (error) => {
    output.textContent = String(error?.stack ?? error);
    return { ok: false, error: String(error?.stack ?? error) };
  },
);
