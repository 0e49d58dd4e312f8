#!/usr/bin/env node
// Click → best mask with two SamClip instances on the same bundle and image, in one process,
// alternating blocks of clicks, so both settings see the same stretches of this machine's drifting
// speed (sequential runs minutes apart cannot tell a 10% change from the drift). A and B differ only
// in their session options, given as JSON (SessionOptions; onnxruntime settings under `extra`):
//   node packages/converter/bench/clicks-ab.mjs BUNDLE IMAGE --variant fp32-ort-node \
//     --b '{"extra":{"extra":{"session":{"intra_op":{"allow_spinning":"0"}}}}}' [--a '{}'] [--blocks 12] [--block-size 6]
// Each instance encodes the image once and clicks once (its session's first run) before the timed
// blocks; the clicks are single foreground points along the image's middle row, as `samclip bench`.
// Prints the median and mean per click of each. Run `npm run build` first, with the environment the
// CLI launcher gives (MALLOC_MMAP_THRESHOLD_=1048576 on Linux) to match `samclip bench`.
import { parseArgs } from 'node:util';
import { loadSamClip, readImageFile } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    variant: { type: 'string', default: 'fp32-ort-node' },
    backend: { type: 'string', default: 'ort-node' },
    a: { type: 'string', default: '{}' },
    b: { type: 'string', default: '{}' },
    blocks: { type: 'string', default: '12' },
    'block-size': { type: 'string', default: '6' },
  },
});
const [bundle, imageFile] = positionals;
if (!bundle || !imageFile) {
  console.error('usage: clicks-ab.mjs BUNDLE IMAGE [--variant V] [--a JSON] [--b JSON] [--blocks 12] [--block-size 6]');
  process.exit(2);
}
const parseOptions = (flag, json) => {
  try {
    return JSON.parse(json);
  } catch (error) {
    console.error(`clicks-ab: --${flag} is not JSON: ${error.message}`);
    process.exit(2);
  }
};
const blocks = Number(values.blocks);
const blockSize = Number(values['block-size']);
if (!Number.isInteger(blocks) || blocks < 1 || !Number.isInteger(blockSize) || blockSize < 1) {
  console.error('clicks-ab: --blocks and --block-size must be whole numbers ≥ 1');
  process.exit(2);
}

const sessionOptions = { a: parseOptions('a', values.a), b: parseOptions('b', values.b) };

registerOrtNodeBackends();
const image = await readImageFile(imageFile);
const sides = [];
for (const name of ['a', 'b']) {
  const model = await loadSamClip(bundle, { backend: values.backend, variant: values.variant, sessionOptions: sessionOptions[name] });
  const encoding = await model.encode(image);
  sides.push({ name, model, encoding, times: [] });
}
const clicks = Array.from({ length: blockSize }, (_, i) => ({ x: (image.width * (i + 1)) / (blockSize + 1), y: image.height / 2, label: 'foreground' }));
for (const side of sides) await side.model.segment(side.encoding, { points: [clicks[0]] }, { multimask: true, bestOnly: true });
for (let block = 0; block < blocks; block++) {
  for (const side of sides) {
    for (const click of clicks) {
      const start = performance.now();
      await side.model.segment(side.encoding, { points: [click] }, { multimask: true, bestOnly: true });
      side.times.push(performance.now() - start);
    }
  }
}
const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
for (const side of sides) {
  const mean = side.times.reduce((sum, t) => sum + t, 0) / side.times.length;
  console.log(`${side.name}: median ${median(side.times).toFixed(2)} ms, mean ${mean.toFixed(2)} ms over ${side.times.length} clicks  (session options ${values[side.name]})`);
  side.encoding.dispose();
  await side.model.dispose();
}
