#!/usr/bin/env node
// Segment-everything on a photo with a bundle, cancelled twice from a timer, as a user would:
// once while the image encoder runs, once part-way through the point grid. Prints when each
// progress report arrived, how long each cancellation took from the moment it was due (the timer's
// deadline) to the CANCELLED rejection, and the longest stretch the engine held the event loop
// (onnxruntime-node's session.run is synchronous: nothing in the process, timers and signal
// handlers included, runs until it returns). With --worker the model runs in the worker thread of a
// one-worker pool (createNodeWorkerPool, everything-worker.mjs), as a long-lived process would run it,
// and the main thread stays free. Run `npm run build` first.
//   node packages/converter/bench/everything-cancel.mjs BUNDLE IMAGE [--backend ort-node] [--points-per-side 16]
//        [--abort-encode-after-ms 3000] [--abort-decode-after-ms 2500] [--variant NAME] [--worker [--cancel-grace-ms N]]
// Terminating a worker thread that still holds onnxruntime-node sessions aborts the whole process ("terminate
// called after throwing an instance of 'Napi::Error'"), so the pool is given the worker's `dispose` as its
// shutdownMethod: past the cancel grace (--cancel-grace-ms, default 250; Infinity keeps the worker) and in
// dispose(), the worker releases its sessions before it is terminated.
import { parseArgs } from 'node:util';
import { isSamClipError } from '@samclip/core';
import { createNodeWorkerPool, loadSamClip, readImageFile } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    backend: { type: 'string', default: 'ort-node' },
    variant: { type: 'string' },
    'points-per-side': { type: 'string', default: '16' },
    'abort-encode-after-ms': { type: 'string', default: '3000' },
    'abort-decode-after-ms': { type: 'string', default: '2500' },
    worker: { type: 'boolean', default: false },
    'cancel-grace-ms': { type: 'string' },
  },
});
if (positionals.length !== 2) {
  console.error('usage: everything-cancel.mjs BUNDLE IMAGE [--backend ort-node] [--points-per-side 16] [--abort-encode-after-ms 3000] [--abort-decode-after-ms 2500] [--variant NAME] [--worker [--cancel-grace-ms N]]');
  process.exit(2);
}
registerOrtNodeBackends({ 'ort-node-webgpu': false });
const image = await readImageFile(positionals[1]);
const pointsPerSide = Number(values['points-per-side']);
const loadArgs = { bundle: positionals[0], backend: values.backend, ...(values.variant ? { variant: values.variant } : {}) };
/** segmentEverything with a signal and a (done, total) progress callback: in this thread, or in the pool's worker. */
let segmentEverything;
let close;
if (values.worker) {
  const pool = createNodeWorkerPool(new URL('./everything-worker.mjs', import.meta.url), {
    size: 1,
    // The worker's `dispose` releases its onnxruntime-node sessions before the pool terminates it.
    shutdownMethod: 'dispose',
    ...(values['cancel-grace-ms'] ? { cancelGraceMs: Number(values['cancel-grace-ms']) } : {}),
  });
  segmentEverything = async (signal, onProgress) => {
    // A worker terminated on cancel is replaced by a fresh one, which loads the bundle again first.
    await pool.run('load', loadArgs);
    return pool.run('everything', { imageFile: positionals[1], pointsPerSide }, { signal, onProgress: ({ done, total }) => onProgress(done, total) });
  };
  close = () => pool.dispose();
  console.log(`${positionals[1]}: ${image.width}×${image.height}, ${pointsPerSide}×${pointsPerSide} points, backend ${await pool.run('load', loadArgs)}, in a worker thread`);
} else {
  const model = await loadSamClip(loadArgs.bundle, { backend: loadArgs.backend, ...(loadArgs.variant ? { variant: loadArgs.variant } : {}) });
  segmentEverything = (signal, onProgress) => model.segmentEverything(image, { pointsPerSide, signal, onProgress });
  close = () => model.dispose();
  console.log(`${positionals[1]}: ${image.width}×${image.height}, ${pointsPerSide}×${pointsPerSide} points, backend ${model.backendName}, variants ${JSON.stringify(model.variants())}`);
}

/** The longest gap between 5 ms ticks since the last reset: how long the event loop was held. */
let lastTick = performance.now();
let longestStall = 0;
setInterval(() => {
  const now = performance.now();
  longestStall = Math.max(longestStall, now - lastTick);
  lastTick = now;
}, 5).unref();

/**
 * Runs segmentEverything and aborts `afterMs` after the call (encoder phase) or after the first
 * progress report (grid phase); the latency runs from that deadline to the rejection.
 */
async function cancelledRun(label, { afterMs, fromGridStart }) {
  const controller = new AbortController();
  const start = performance.now();
  let due;
  const arm = () => {
    due = performance.now() + afterMs;
    setTimeout(() => controller.abort(), afterMs);
  };
  const progress = [];
  longestStall = 0;
  if (!fromGridStart) arm();
  try {
    await segmentEverything(controller.signal, (done, total) => {
      progress.push(`${done}/${total} at ${((performance.now() - start) / 1000).toFixed(2)} s`);
      if (fromGridStart && done === 0) arm();
    });
    console.log(`${label}: finished without being cancelled`);
  } catch (error) {
    if (!isSamClipError(error, 'CANCELLED')) throw error;
    const latency = performance.now() - due;
    const where = error.details.stage === undefined ? '' : ` (${error.details.stage}, ${error.details.done}/${error.details.total})`;
    console.log(`${label}: CANCELLED${where} ${latency.toFixed(1)} ms after the abort was due, ${((performance.now() - start) / 1000).toFixed(2)} s after the call; longest event-loop stall ${longestStall.toFixed(0)} ms`);
  }
  console.log(`  progress: ${progress.length > 8 ? [...progress.slice(0, 4), '…', ...progress.slice(-3)].join(', ') : progress.join(', ') || 'none'}`);
}

await cancelledRun('abort due during the encoder', { afterMs: Number(values['abort-encode-after-ms']), fromGridStart: false });
// In this thread the abandoned encoder run has finished by now and sits in the cache, so the second run starts
// decoding at once; with --worker the cancelled worker was replaced, and the second run loads and encodes anew.
await cancelledRun('abort due during the point grid', { afterMs: Number(values['abort-decode-after-ms']), fromGridStart: true });
await close();
process.exit(0);
