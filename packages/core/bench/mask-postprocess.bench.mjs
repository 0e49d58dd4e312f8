// Mask post-processing time: maskFromLogits (256×256 low-res logits → binary mask, area and box)
// at 1800×1200, on fragmented masks (a random-weight decoder's: the sign flips every few cells)
// and on smooth blobs (a trained decoder's). Median of RUNS calls per case, after warm-up.
// Node 20 cannot run TypeScript directly, so this runs against the built package:
//   npx tsc -p packages/core/tsconfig.build.json && node packages/core/bench/mask-postprocess.bench.mjs [lowres.bin] [baseline.js]
// lowres.bin: raw little-endian float32 [K, 256, 256] low-res logits (a decoder's low_res_masks);
// without it, a synthetic checkerboard stands in for the fragmented case.
// baseline.js: another build's dist/index.js (e.g. from an older commit), timed interleaved with
// this one, whose masks must come out identical; the machine is shared, so only interleaved
// timings compare.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUNS = 31;
const M = 256;
const [lowResPath, baselinePath] = process.argv.slice(2);

const builds = [['current', await import(pathToFileURL(path.resolve(here, '../dist/index.js')).href)]];
if (baselinePath) builds.push(['baseline', await import(pathToFileURL(path.resolve(baselinePath)).href)]);
const { resizedSizeForLongestSide } = builds[0][1];

const originalSize = { width: 1800, height: 1200 };
const geometry = { imageSize: 1024, inputSize: resizedSizeForLongestSide(originalSize, 1024), originalSize };

function plane(f) {
  const data = new Float32Array(M * M);
  for (let v = 0; v < M; v++) for (let u = 0; u < M; u++) data[v * M + u] = f(u, v);
  return data;
}
const cases = [];
if (lowResPath) {
  const bytes = readFileSync(lowResPath);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let k = 0; k < all.length / (M * M); k++) cases.push([`${path.basename(lowResPath)}[${k}]`, all.subarray(k * M * M, (k + 1) * M * M)]);
} else {
  cases.push(['checkerboard', plane((u, v) => ((Math.floor(u / (1 + (v % 3))) + Math.floor(v / 2)) % 2 === 0 ? 1 : -1) * (0.5 + ((u * 7 + v * 13) % 10) / 10))]);
}
cases.push(['disc', plane((u, v) => 12 - Math.hypot(u - 120, v - 80) / 4)]);
cases.push(['large blob', plane((u, v) => 20 - Math.hypot(u - 128, v - 90) / 5)]);
cases.push(['small blob', plane((u, v) => 3 - Math.hypot(u - 200, v - 40) / 2)]);

const median = (times) => times.sort((a, b) => a - b)[times.length >> 1];
console.log(`maskFromLogits at ${originalSize.width}×${originalSize.height}, median of ${RUNS} runs (ms)`);
for (const [name, data] of cases) {
  const lowRes = { width: M, height: M, data };
  const results = builds.map(([, core]) => core.maskFromLogits(lowRes, geometry));
  for (const result of results.slice(1)) {
    const same = result.area === results[0].area && result.bbox.join() === results[0].bbox.join() && result.mask.data.every((bit, i) => bit === results[0].mask.data[i]);
    if (!same) throw new Error(`${name}: the baseline's mask differs from this build's`);
  }
  for (let run = 0; run < 5; run++) for (const [, core] of builds) core.maskFromLogits(lowRes, geometry);
  const times = builds.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    builds.forEach(([, core], b) => {
      const start = performance.now();
      core.maskFromLogits(lowRes, geometry);
      times[b].push(performance.now() - start);
    });
  }
  const cells = builds.map(([label], b) => `${label} ${median(times[b]).toFixed(2)}`).join('  ');
  console.log(`${name.padEnd(28)} area ${String(results[0].area).padStart(8)}  ${cells}`);
}
