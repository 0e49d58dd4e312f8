// The merge evaluation through the SDK: node tools/samclip_tools/merge/sdk_eval.mjs BUNDLE DATA_DIR [LIMIT]
//
// Runs the same tasks as samclip_tools.merge.evaluate on a merged bundle with @samclip/core on
// onnxruntime-node (fp32): zero-shot classification on DATA_DIR/classify, point- and box-prompt
// mIoU and zero-shot semantic segmentation (± SAM refinement) on DATA_DIR/test (image-folder
// datasets written by the pipeline). Prints one JSON object with the metrics. Needs the packages
// built (`npm run build`): it imports their dist.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { loadSamClip } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';

const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring'];
const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple'];
const CLASS_NAMES = SHAPES.flatMap((s) => COLOURS.map((c) => `${c} ${s}`));

function readPng(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const rgb = new Uint8Array(png.width * png.height * 3);
  const channel = new Uint8Array(png.width * png.height);
  for (let i = 0; i < png.width * png.height; i++) {
    rgb[3 * i] = png.data[4 * i];
    rgb[3 * i + 1] = png.data[4 * i + 1];
    rgb[3 * i + 2] = png.data[4 * i + 2];
    channel[i] = png.data[4 * i];
  }
  return { image: { width: png.width, height: png.height, data: rgb }, channel };
}

function readDataset(root, limit) {
  const rows = fs.readFileSync(path.join(root, 'annotations.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return rows.slice(0, limit).map((row) => ({
    image: readPng(path.join(root, row.file)).image,
    instances: readPng(path.join(root, row.instances)).channel,
    objects: row.objects,
  }));
}

/** The most interior pixel (largest erosion depth, first in raster order), as evaluate.interior_point. */
function interiorPoint(mask, width, height) {
  let current = Uint8Array.from(mask);
  const depth = new Int32Array(mask.length);
  for (;;) {
    let any = false;
    const next = new Uint8Array(mask.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (!current[i]) continue;
        any = true;
        depth[i]++;
        let keep = 1;
        for (let dy = -1; dy <= 1 && keep; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
            if (!current[yy * width + xx]) {
              keep = 0;
              break;
            }
          }
        }
        next[i] = keep;
      }
    }
    if (!any) break;
    current = next;
  }
  let best = 0;
  for (let i = 1; i < depth.length; i++) if (depth[i] > depth[best]) best = i;
  return { x: best % width, y: Math.floor(best / width) };
}

function iou(pred, target) {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < target.length; i++) {
    const p = pred[i] ? 1 : 0;
    const t = target[i] ? 1 : 0;
    inter += p & t;
    union += p | t;
  }
  return union > 0 ? inter / union : 1;
}

class ConfusionMIoU {
  constructor(n) {
    this.inter = new Float64Array(n);
    this.union = new Float64Array(n);
  }
  add(pred, target) {
    for (let c = 0; c < this.inter.length; c++) {
      for (let i = 0; i < target.length; i++) {
        const p = pred[i] === c;
        const t = target[i] === c;
        if (p && t) this.inter[c]++;
        if (p || t) this.union[c]++;
      }
    }
  }
  miou() {
    const values = [...this.inter].map((v, c) => (this.union[c] > 0 ? v / this.union[c] : NaN)).filter((v) => !Number.isNaN(v));
    return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

async function main() {
  const [bundleDir, dataDir, limitArg] = process.argv.slice(2);
  if (!bundleDir || !dataDir) {
    console.error('usage: node tools/samclip_tools/merge/sdk_eval.mjs BUNDLE DATA_DIR [LIMIT]');
    process.exit(2);
  }
  const limit = limitArg ? Number(limitArg) : undefined;
  registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
  const model = await loadSamClip(bundleDir, { backend: 'ort-node' });

  const classify = readDataset(path.join(dataDir, 'classify'), limit);
  let correct = 0;
  for (const scene of classify) {
    const [obj] = scene.objects;
    const result = await model.classify(scene.image, CLASS_NAMES);
    if (result.top[0].label === `${obj.colour} ${obj.shape}`) correct++;
  }

  const test = readDataset(path.join(dataDir, 'test'), limit);
  const pointIous = [];
  const boxIous = [];
  const plain = new ConfusionMIoU(SHAPES.length + 1);
  const refined = new ConfusionMIoU(SHAPES.length + 1);
  for (const scene of test) {
    const { width, height } = scene.image;
    const encoding = await model.encode(scene.image);
    const semantic = new Uint16Array(width * height).fill(SHAPES.length);
    for (let k = 0; k < scene.objects.length; k++) {
      const obj = scene.objects[k];
      const mask = scene.instances.map((v) => (v === k + 1 ? 1 : 0));
      mask.forEach((v, i) => v && (semantic[i] = SHAPES.indexOf(obj.shape)));
      const point = interiorPoint(mask, width, height);
      const byPoint = await model.segment(encoding, { points: [{ ...point, label: 'foreground' }] });
      pointIous.push(iou(byPoint.masks[byPoint.best].data, mask));
      const [x0, y0, x1, y1] = obj.box;
      const byBox = await model.segment(encoding, { box: { x0, y0, x1: x1 - 1, y1: y1 - 1 } }, { multimask: false });
      boxIous.push(iou(byBox.masks[0].data, mask));
    }
    plain.add((await model.segmentSemantic(encoding, SHAPES, { background: true })).labelMap.data, semantic);
    refined.add((await model.segmentSemantic(encoding, SHAPES, { background: true, refine: 'sam' })).labelMap.data, semantic);
    encoding.dispose?.();
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    JSON.stringify({
      backend: model.backendName,
      zero_shot_accuracy: correct / classify.length,
      point_miou: mean(pointIous),
      box_miou: mean(boxIous),
      instances: pointIous.length,
      semantic: { miou: plain.miou(), refined_miou: refined.miou() },
      scenes: test.length,
      classification_images: classify.length,
    }),
  );
}

await main();
