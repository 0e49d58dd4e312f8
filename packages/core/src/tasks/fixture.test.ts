/**
 * Parity with the PyTorch reference pipelines stored in each fixture bundle's
 * references/tasks.json (tiny-random: sam-clip; -sam, -clip, -sam-clip-pair: the other kinds):
 * preprocessing (pixel_values), prompted segmentation (point, box, mask prompt: masks and the
 * picked mask) and zero-shot classification.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeTensor } from '../graph/codec.js';
import type { Tensor } from '../graph/types.js';
import { maskIoU } from '../image/masks.js';
import { preprocessForClip, preprocessForSam } from '../image/preprocess.js';
import { resampleMethod } from '../image/resample.js';
import type { RgbImage } from '../image/types.js';
import { loadSamClip } from './node.js';
import type { SamClip } from './samclip.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const FIXTURES = ['tiny-random', 'tiny-random-sam', 'tiny-random-clip', 'tiny-random-sam-clip-pair'];
const present = FIXTURES.filter((name) => existsSync(path.join(repoRoot, 'fixtures', name, 'references/tasks.json')));
if (present.length < FIXTURES.length && process.env.CI) {
  throw new Error(`fixtures missing: ${FIXTURES.filter((f) => !present.includes(f)).join(', ')}; generate them with the exporter in tools/ before running CI.`);
}

const ORT_NODE_ENTRY = '../../../backend-ort/src/node.js';

interface SegmentCase {
  name: string;
  points: Array<[number, number]> | null;
  labels: number[] | null;
  box: [number, number, number, number] | null;
  maskInput: string | null;
  multimask: boolean;
  masks: string;
  iou: number[];
  best: number;
}

interface TasksJson {
  image: { file: string; height: number; width: number };
  /** SAM input: pixel_values, the resized [h, w] inside the padding, image embeddings. */
  samInput?: { pixelValues: string; inputSize: [number, number]; imageEmbeddings: string };
  clipInput?: { pixelValues: string };
  segment?: SegmentCase[];
  classify?: { labels: string[]; template: string; probs: number[] };
}

describe.each(present)('%s fixture parity with the PyTorch pipeline', (fixture) => {
  const fixtureDir = path.join(repoRoot, 'fixtures', fixture);
  // Which references exist decides which tests this bundle gets (nothing is skipped at run time).
  const stored = JSON.parse(readFileSync(path.join(fixtureDir, 'references/tasks.json'), 'utf8')) as TasksJson;
  const tensorAt = async (file: string): Promise<Tensor> => decodeTensor(new Uint8Array(await readFile(path.join(fixtureDir, file)))).tensor;
  let tasks: TasksJson;
  let image: RgbImage;
  let model: SamClip;

  beforeAll(async () => {
    const { registerOrtNodeBackends } = (await import(/* @vite-ignore */ ORT_NODE_ENTRY)) as { registerOrtNodeBackends(options: Record<string, false>): string[] };
    registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
    tasks = JSON.parse(await readFile(path.join(fixtureDir, 'references/tasks.json'), 'utf8')) as TasksJson;
    const pixels = await tensorAt(tasks.image.file);
    expect(pixels.dims).toEqual([tasks.image.height, tasks.image.width, 3]);
    image = { width: tasks.image.width, height: tasks.image.height, data: pixels.data as Uint8Array };
    model = await loadSamClip(fixtureDir, { backend: 'ort-node' });
  });

  it('preprocesses to the stored pixel_values (Pillow resize, float32 normalisation)', async () => {
    const checks: Array<[string, Float32Array]> = [];
    const { sam, clip } = model.bundle.manifest.preprocess;
    if (tasks.samInput && sam) {
      const pre = preprocessForSam(image, { longestSide: sam.longestSide, mean: sam.mean, std: sam.std, resize: resampleMethod(sam.resize) });
      expect([pre.inputSize.height, pre.inputSize.width]).toEqual(tasks.samInput.inputSize);
      checks.push([tasks.samInput.pixelValues, pre.pixelValues]);
    }
    if (tasks.clipInput && clip) {
      checks.push([tasks.clipInput.pixelValues, preprocessForClip(image, { size: clip.size, mean: clip.mean, std: clip.std, resize: resampleMethod(clip.resize), crop: clip.crop }).pixelValues]);
    }
    expect(checks.length).toBeGreaterThan(0);
    for (const [file, ours] of checks) {
      const reference = (await tensorAt(file)).data as Float32Array;
      expect(ours.length).toBe(reference.length);
      let maxDiff = 0;
      let differing = 0;
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(ours[i]! - reference[i]!);
        if (d > 1e-6) differing++;
        maxDiff = Math.max(maxDiff, d);
      }
      // Pillow's integer resampling is reproduced exactly and the float32 normalisation too.
      expect(differing, `${file}: ${differing} values differ, max ${maxDiff}`).toBe(0);
    }
  });

  if (stored.segment) it('segments with a point, a box and a mask prompt as the reference (IoU ≥ 0.999, same best mask)', async () => {
    expect(tasks.segment?.length).toBeGreaterThan(0);
    for (const c of tasks.segment ?? []) {
      const prompt: Parameters<SamClip['segment']>[1] = {};
      if (c.points) prompt.points = c.points.map(([x, y], i) => ({ x, y, label: c.labels?.[i] === 0 ? 'background' : 'foreground' }));
      if (c.box) prompt.box = { x0: c.box[0], y0: c.box[1], x1: c.box[2], y1: c.box[3] };
      if (c.maskInput) {
        const mask = await tensorAt(c.maskInput);
        const side = mask.dims[mask.dims.length - 1]!;
        prompt.mask = { width: side, height: side, data: mask.data as Float32Array };
      }
      const result = await model.segment(image, prompt, { multimask: c.multimask });
      const reference = await tensorAt(c.masks);
      const [count, height, width] = reference.dims as [number, number, number];
      expect(result.masks.length, c.name).toBe(count);
      for (let k = 0; k < count; k++) {
        const refMask = { width, height, data: (reference.data as Uint8Array).subarray(k * width * height, (k + 1) * width * height) };
        expect(maskIoU(refMask, result.masks[k]!), `${c.name} mask ${k}`).toBeGreaterThanOrEqual(0.999);
        expect(result.scores[k], `${c.name} iou ${k}`).toBeCloseTo(c.iou[k]!, 3);
      }
      expect(result.best, c.name).toBe(c.best);
    }
  });

  if (stored.classify) it('classifies as the reference (softmax over scaled cosine)', async () => {
    const reference = tasks.classify;
    expect(reference).toBeDefined();
    const result = await model.classify(image, reference!.labels, { templates: [reference!.template] });
    result.probabilities.forEach((p, i) => expect(p, reference!.labels[i]).toBeCloseTo(reference!.probs[i]!, 4));
    const encoders = model.runCounts();
    expect(encoders.backbone ?? encoders.sam_encoder ?? encoders.clip_image_encoder).toBe(1);
  });

  if (stored.segment && stored.classify) {
    it('serves segment, classify, segmentSemantic and segmentEverything from one encoder pass', async () => {
      model.clearCaches();
      const before = model.runCounts();
      const encoder = model.kind === 'sam-clip' ? 'backbone' : 'sam_encoder';
      const labels = stored.classify!.labels;
      const encoding = await model.encode(image);
      await model.segment(encoding, { points: [{ x: image.width / 2, y: image.height / 2, label: 'foreground' }] });
      await model.classify(encoding, labels);
      const semantic = await model.segmentSemantic(encoding, labels, { refine: 'sam', background: true });
      expect(semantic.classes.reduce((sum, c) => sum + c.area, 0)).toBe(image.width * image.height);
      const instances = await model.segmentEverything(encoding, { pointsPerSide: 4, predIouThreshold: -Infinity, stabilityScoreThreshold: 0, labels });
      for (const m of instances) expect(labels).toContain(m.label!.label);
      expect((model.runCounts()[encoder] ?? 0) - (before[encoder] ?? 0)).toBe(1);
    });
  }
});
