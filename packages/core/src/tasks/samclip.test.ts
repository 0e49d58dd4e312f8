import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackendRegistry, backendRegistry } from '../backend/registry.js';
import type { Backend, InferenceSession } from '../backend/types.js';
import { loadBundle } from '../bundle/load.js';
import { isSamClipError } from '../errors.js';
import { maskIoU, thresholdMap } from '../image/masks.js';
import { decodeRle } from '../image/rle.js';
import type { RgbImage } from '../image/types.js';
import { SamClip } from './samclip.js';
import { SYNTHETIC_CONFIG, SYNTHETIC_IOU, buildSyntheticBundle, syntheticPromptDecoder } from './test-utils/synthetic-bundle.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const vocabPath = path.resolve(repoRoot, '../shared/data/clip/bpe_simple_vocab_16e6.txt.gz');
const haveVocab = existsSync(vocabPath);
if (!haveVocab && process.env.CI) throw new Error(`The CLIP BPE vocab is missing at ${vocabPath}; CI needs ../shared next to the repo.`);
const vocab = haveVocab ? new Uint8Array(readFileSync(vocabPath)) : undefined;

/** 60×40 image: a bright disc on a dark background. */
function testImage(width = 60, height = 40): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - 20) ** 2 + (y - 20) ** 2 < 100;
      data.set(inside ? [230, 200, 40] : [20 + x, 30, 60 + y], (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

/** Wraps a backend so every session counts its runs under the name of its first input. */
function countingBackend(inner: Backend, counts: Map<string, number>): Backend {
  return {
    init: () => inner.init(),
    isSupported: () => inner.isSupported(),
    async createSession(model, options) {
      const session: InferenceSession = await inner.createSession(model, options);
      const key = session.outputs.map((o) => o.name).join(',');
      return {
        inputs: session.inputs,
        outputs: session.outputs,
        run(feeds, names) {
          counts.set(key, (counts.get(key) ?? 0) + 1);
          return session.run(feeds, names);
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

async function load(kind: 'sam-clip' | 'sam' | 'clip' | 'sam+clip', options: Parameters<typeof SamClip.load>[1] = {}): Promise<SamClip> {
  const files = await buildSyntheticBundle(kind, vocab);
  return SamClip.load({ files }, { backend: 'ort-node', ...options });
}

/**
 * registerOrtNodeBackends from backend-ort's Node entry (source). Imported by a runtime specifier:
 * core cannot depend on an engine package at type level (backend-ort depends on core), and
 * vitest.config.ts has no alias for '@samclip/backend-ort/node'.
 */
const ORT_NODE_ENTRY = '../../../backend-ort/src/node.js';

beforeAll(async () => {
  const { registerOrtNodeBackends } = (await import(/* @vite-ignore */ ORT_NODE_ENTRY)) as {
    registerOrtNodeBackends(options: Record<string, false>): string[];
  };
  registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
});

describe.skipIf(!haveVocab)('SamClip on synthetic bundles', () => {
  it('encode once serves segment, classify and segmentSemantic: the backbone runs exactly once', async () => {
    const counts = new Map<string, number>();
    const registry = new BackendRegistry();
    registry.register('counting', countingBackend(backendRegistry.get('ort-node')!, counts), 1);
    const model = await load('sam-clip', { registry, backend: 'counting' });
    expect(model.backendName).toBe('counting');
    const image = testImage();
    const encoding = await model.encode(image);
    await model.segment(encoding, { points: [{ x: 20, y: 20, label: 'foreground' }] });
    await model.classify(encoding, ['cat', 'dog']);
    await model.segmentSemantic(encoding, ['cat', 'dog'], { refine: 'sam' });
    // The same pixels passed again (not the encoding) hit the content cache.
    await model.classify(testImage(), ['bird']);
    expect(counts.get('backbone_features')).toBe(1);
    expect(counts.get('image_embeddings')).toBe(1);
    expect(counts.get('image_embeds,dense_embeds')).toBe(1);
    expect(model.runCounts().backbone).toBe(1);
    await model.dispose();
  });

  it('segment returns original-size masks matching the decoder graph’s own post-processing', async () => {
    const model = await load('sam-clip');
    const image = testImage();
    const point = { x: 20, y: 20, label: 'foreground' as const };
    const result = await model.segment(image, { points: [point] }, { returnLogits: true });
    expect(result.masks).toHaveLength(3);
    expect(result.masks[0]).toMatchObject({ width: 60, height: 40 });
    expect(result.scores.map((s) => Number(s.toFixed(2)))).toEqual(SYNTHETIC_IOU.slice(1).map((s) => Number(s.toFixed(2))));
    expect(result.best).toBe(1);
    // Radius 6 in a 32-px model frame over a 60-px image → ≈ 11.25 px; the mask is a disc around the point.
    const best = result.masks[result.best]!;
    expect(best.data[20 * 60 + 20]).toBe(1);
    expect(best.data[20 * 60 + 35]).toBe(0);

    // Run the same decoder graph with onnxruntime directly: its `masks` output (Resize → crop → Resize) must agree.
    const session = await ort.InferenceSession.create(syntheticPromptDecoder());
    const encoding = await model.encode(image);
    const scale = 32 / 60;
    const inputH = Math.trunc(40 * scale + 0.5);
    // The embeddings the SDK computed for this image (memoised on the encoding).
    const embeddings = await encoding.memo('sam_neck', () => Promise.reject(new Error('image embeddings were not computed')));
    const feeds = {
      image_embeddings: new ort.Tensor('float32', (embeddings as { data: Float32Array }).data, [1, 5, 4, 4]),
      point_coords: new ort.Tensor('float32', Float32Array.from([20 * (32 / 60), 20 * (inputH / 40), 0, 0]), [1, 2, 2]),
      point_labels: new ort.Tensor('float32', Float32Array.from([1, -1]), [1, 2]),
      mask_input: new ort.Tensor('float32', new Float32Array(256), [1, 1, 16, 16]),
      has_mask_input: new ort.Tensor('float32', new Float32Array(1), [1]),
      orig_im_size: new ort.Tensor('float32', Float32Array.from([40, 60]), [2]),
    };
    const out = await session.run(feeds);
    const masks = out.masks!.data as Float32Array;
    for (let k = 1; k <= 3; k++) {
      const reference = thresholdMap({ width: 60, height: 40, data: masks.subarray(k * 2400, (k + 1) * 2400) });
      expect(reference.data.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(maskIoU(reference, result.masks[k - 1]!)).toBeGreaterThanOrEqual(0.999);
      let maxDiff = 0;
      for (let i = 0; i < 2400; i++) maxDiff = Math.max(maxDiff, Math.abs(masks[k * 2400 + i]! - result.logits![k - 1]!.data[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
    }
    expect(encoding.computed()).toContain('sam_neck');
    await session.release();
    await model.dispose();
  });

  it('feeds low-res logits back as a mask prompt and supports single-mask output', async () => {
    const model = await load('sam-clip');
    const image = testImage();
    const first = await model.segment(image, { points: [{ x: 20, y: 20, label: 'foreground' }] });
    const single = await model.segment(image, { points: [{ x: 20, y: 20, label: 'foreground' }] }, { multimask: false });
    expect(single.masks).toHaveLength(1);
    const withMask = await model.segment(image, { points: [{ x: 20, y: 20, label: 'foreground' }], mask: first.lowResLogits[2]! }, { multimask: false });
    const area = (m: { data: Uint8Array }) => m.data.reduce((a, b) => a + b, 0);
    // Adding a positive radius-10 prompt to the radius-6 disc grows it.
    expect(area(withMask.masks[0]!)).toBeGreaterThan(area(single.masks[0]!));
    await model.dispose();
  });

  it('rejects bad prompts and labels with INVALID_ARGUMENT', async () => {
    const model = await load('sam-clip');
    const image = testImage();
    const expectCode = async (promise: Promise<unknown>, pattern: RegExp) => {
      const error = await promise.then(() => undefined, (e: unknown) => e);
      expect(isSamClipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(pattern);
    };
    await expectCode(model.segment(image, { points: [{ x: Number.NaN, y: 3, label: 'foreground' }] }), /NaN|finite|number/i);
    await expectCode(model.segment(image, { box: { x0: 30, y0: 5, x1: 10, y1: 20 } }), /x1|box/i);
    await expectCode(model.classify(image, []), /non-empty list of labels/);
    await expectCode(model.segmentSemantic(image, ['a', ' ']), /Label 1/);
    await expectCode(model.encode(image, { prepare: 'classify' as 'segment' }), /prepare must be 'segment'/);
    // Inputs are checked before any encoder runs.
    expect(model.runCounts()).toEqual({});
    await model.dispose();
  });

  it('classify ranks labels with softmax over scaled cosine; embeddings are unit length', async () => {
    const model = await load('sam-clip');
    const image = testImage();
    const result = await model.classify(image, ['cat', 'dog', 'car'], { topK: 2 });
    expect(result.top).toHaveLength(2);
    expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const [imageEmbedding] = [await model.embedImage(image)];
    const texts = await model.embedText(['a photo of a cat.', 'a photo of a dog.', 'a photo of a car.']);
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
    expect(norm(imageEmbedding)).toBeCloseTo(1, 5);
    const logits = texts.map((t) => 100 * t.reduce((sum, value, k) => sum + value * imageEmbedding[k]!, 0));
    const max = Math.max(...logits);
    const probs = logits.map((l) => Math.exp(l - max));
    const total = probs.reduce((a, b) => a + b, 0);
    probs.forEach((p, i) => expect(result.probabilities[i]).toBeCloseTo(p / total, 5));
    expect(result.top[0]!.score).toBe(Math.max(...result.probabilities));
    await model.dispose();
  });

  it('segmentSemantic labels every pixel, with or without SAM refinement and a background class', async () => {
    const model = await load('sam-clip');
    const image = testImage();
    for (const refine of ['none', 'sam'] as const) {
      const result = await model.segmentSemantic(image, ['sun', 'sky'], { refine, background: true });
      expect(result.labels).toEqual(['sun', 'sky', 'background']);
      expect(result.labelMap.data).toHaveLength(60 * 40);
      expect(result.classes.reduce((a, c) => a + c.area, 0)).toBe(60 * 40);
      expect(result.masks).toHaveLength(3);
      expect(Math.max(...result.labelMap.data)).toBeLessThan(3);
    }
    await model.dispose();
  });

  it('segmentEverything filters, suppresses overlaps and labels masks from the same encoding', async () => {
    const model = await load('sam-clip');
    const image = testImage();
    const progress: number[] = [];
    const masks = await model.segmentEverything(image, {
      pointsPerSide: 4,
      labels: ['sun', 'sky'],
      returnMasks: true,
      stabilityScoreThreshold: 0.5,
      onProgress: (done, total) => progress.push(done / total),
    });
    // 0 once the image is encoded, then one call per grid point.
    expect(progress).toHaveLength(17);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    const controller = new AbortController();
    controller.abort();
    await expect(model.segmentEverything(image, { signal: controller.signal })).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'CANCELLED'));
    expect(masks.length).toBeGreaterThan(0);
    for (const m of masks) {
      expect(m.predictedIou).toBeGreaterThan(0.88);
      expect(Array.from(decodeRle(m.rle).data)).toEqual(Array.from(m.mask!.data));
      expect(m.area).toBe(m.mask!.data.reduce((a, b) => a + b, 0));
      expect(['sun', 'sky']).toContain(m.label!.label);
    }
    // No two kept masks overlap beyond the NMS threshold by box.
    const iou = (a: number[], b: number[]) => {
      const ix = Math.max(0, Math.min(a[0]! + a[2]! - 1, b[0]! + b[2]! - 1) - Math.max(a[0]!, b[0]!));
      const iy = Math.max(0, Math.min(a[1]! + a[3]! - 1, b[1]! + b[3]! - 1) - Math.max(a[1]!, b[1]!));
      const inter = ix * iy;
      return inter / ((a[2]! - 1) * (a[3]! - 1) + (b[2]! - 1) * (b[3]! - 1) - inter);
    };
    for (let i = 0; i < masks.length; i++) for (let j = i + 1; j < masks.length; j++) expect(iou(masks[i]!.bbox, masks[j]!.bbox)).toBeLessThanOrEqual(0.7);
    expect(model.runCounts().backbone).toBe(1);
    await model.dispose();
  });

  it('kinds without a head refuse its tasks with UNSUPPORTED; sam+clip serves every task', async () => {
    const image = testImage();
    const sam = await load('sam');
    await expect(sam.classify(image, ['cat'])).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'UNSUPPORTED'));
    await expect(sam.segmentSemantic(image, ['cat'])).rejects.toThrow(/text_encoder|clip/i);
    expect((await sam.segment(image, { box: { x0: 5, y0: 5, x1: 30, y1: 30 } }, { multimask: false })).masks).toHaveLength(1);
    await sam.dispose();

    const clip = await load('clip');
    await expect(clip.segment(image, { points: [{ x: 1, y: 1, label: 'foreground' }] })).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'UNSUPPORTED'));
    // Refused before the encoder runs.
    await expect(clip.encode(image, { prepare: 'segment' })).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'UNSUPPORTED'));
    expect(clip.runCounts()).toEqual({});
    await expect(clip.segmentEverything(image)).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'UNSUPPORTED'));
    await expect(clip.segmentSemantic(image, ['cat'], { refine: 'sam' })).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'UNSUPPORTED'));
    expect((await clip.segmentSemantic(image, ['cat', 'dog'])).labelMap.data).toHaveLength(2400);
    expect((await clip.classify(image, ['cat', 'dog'])).top).toHaveLength(2);
    await clip.dispose();

    const both = await load('sam+clip');
    const encoding = await both.encode(image);
    await both.segment(encoding, { points: [{ x: 20, y: 20, label: 'foreground' }] });
    await both.classify(encoding, ['cat', 'dog']);
    const semantic = await both.segmentSemantic(encoding, ['cat', 'dog'], { refine: 'sam' });
    expect(semantic.labelMap.width).toBe(60);
    expect(both.runCounts().sam_encoder).toBe(1);
    await both.dispose();
  });

  it('caches encodings by content, evicts least recently used, and refuses disposed encodings', async () => {
    const model = await load('sam-clip', { cacheSize: 1 });
    const a = await model.encode(testImage());
    expect(await model.encode(testImage())).toBe(a);
    const b = await model.encode(testImage(61, 40));
    expect(b).not.toBe(a);
    expect(await model.encode(testImage())).not.toBe(a);
    expect(model.runCounts().backbone).toBe(3);
    b.dispose();
    await expect(model.segment(b, { points: [{ x: 1, y: 1, label: 'foreground' }] })).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'DISPOSED'));
    await model.dispose();
  });

  it('fails at load for an unknown variant or backend', async () => {
    const files = await buildSyntheticBundle('sam', vocab);
    const bundle = await loadBundle({ files });
    await expect(SamClip.load(bundle, { backend: 'ort-node', variant: 'int8' })).rejects.toThrow(/no variant "int8"/);
    await expect(SamClip.load(bundle, { backend: 'no-such-engine' })).rejects.toSatisfy((e: unknown) => isSamClipError(e, 'BACKEND_UNAVAILABLE'));
    expect(SYNTHETIC_CONFIG.imageSize).toBe(32);
  });
});
