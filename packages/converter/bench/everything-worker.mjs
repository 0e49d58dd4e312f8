// The worker side of `everything-cancel.mjs --worker`: each worker thread loads the bundle once and runs
// segmentEverything with the caller's AbortSignal, sending its progress back to the caller.
import { exposeNodeWorker, loadSamClip, readImageFile, workerThreads } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';

registerOrtNodeBackends({ 'ort-node-webgpu': false });
let model;
exposeNodeWorker({
  async load({ bundle, backend, variant }) {
    model ??= loadSamClip(bundle, { backend, ...(variant ? { variant } : {}), sessionOptions: { threads: workerThreads() } });
    return (await model).backendName;
  },
  async everything({ imageFile, pointsPerSide }, { signal, progress }) {
    const image = await readImageFile(imageFile);
    const masks = await (await model).segmentEverything(image, { pointsPerSide, signal, onProgress: (done, total) => progress({ done, total }) });
    return masks.length;
  },
  async dispose() {
    if (model) await (await model).dispose();
    model = undefined;
  },
});
