/**
 * The decoder fast path against the graph as exported, on the tiny-random fixture: the prompt
 * decoder pruned to the outputs the SDK reads gives the same low-res logits and scores as the
 * full graph, and the masks `segment` returns (thresholded only near their boundary) equal both
 * the thresholded full-size logits and the graph's own full-size `masks` output.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend, InferenceSession } from '../backend/types.js';
import { BackendRegistry } from '../backend/registry.js';
import { openBundle } from '../bundle/node.js';
import type { Bundle } from '../bundle/bundle.js';
import { decodeModel, encodeModel } from '../graph/codec.js';
import { createTensor } from '../graph/tensor.js';
import { UPSCALE_GRID_INPUT } from '../graph/upscale-crop.js';
import type { Tensor } from '../graph/types.js';
import { maskIoU, thresholdMap } from '../image/masks.js';
import { loadSamClip } from './node.js';
import { ortNodeBackend, TINY_RANDOM, tinyRandomPresent } from '../test-utils/tiny-random.js';
import { pruneToOutputs } from './prune.js';

const FIXTURE = TINY_RANDOM;

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.runIf(tinyRandomPresent)('prompt decoder fast path (tiny-random, ort-node)', () => {
  let bundle: Bundle;
  let backend: Backend;
  let feeds: Record<string, Tensor>;

  beforeAll(async () => {
    backend = await ortNodeBackend();
    bundle = await openBundle(FIXTURE);
    feeds = {};
    for (const { name, tensor } of await bundle.references().inputs('prompt_decoder')) feeds[name] = tensor;
  });

  it('prunes the full-size masks branch and keeps low-res logits and scores', async () => {
    const bytes = await bundle.readGraph('prompt_decoder');
    const model = decodeModel(bytes);
    const nodes = model.graph.nodes.length;
    const removed = pruneToOutputs(model, ['iou_predictions', 'low_res_masks']);
    expect(removed).toBeGreaterThan(0);
    expect(model.graph.nodes.length).toBe(nodes - removed);
    expect(model.graph.outputs.map((o) => o.name).sort()).toEqual(['iou_predictions', 'low_res_masks']);
    // Inputs stay declared: orig_im_size is still accepted though nothing reads it any more.
    expect(model.graph.inputs.map((i) => i.name)).toContain('orig_im_size');
    const full = await backend.createSession(bytes);
    const pruned = await backend.createSession(encodeModel(model));
    try {
      const a = await full.run(feeds);
      const b = await pruned.run(feeds);
      expect(Object.keys(b).sort()).toEqual(['iou_predictions', 'low_res_masks']);
      for (const name of ['iou_predictions', 'low_res_masks']) {
        expect(maxAbsDiff((a[name] as Tensor<'float32'>).data, (b[name] as Tensor<'float32'>).data), name).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      await full.dispose();
      await pruned.dispose();
    }
  });

  it('opens the decoder session on the pruned graph, other graphs as stored', async () => {
    const created: Array<{ outputs: string[]; inputs: string[] }> = [];
    const spy: Backend = {
      init: () => backend.init(),
      isSupported: () => backend.isSupported(),
      createSession: (bytes, options) => {
        const graph = decodeModel(bytes).graph;
        created.push({ outputs: graph.outputs.map((o) => o.name), inputs: graph.inputs.map((i) => i.name) });
        return backend.createSession(bytes, options);
      },
    };
    const registry = new BackendRegistry();
    registry.register('spy', spy);
    const samclip = await loadSamClip(FIXTURE, { backend: 'spy', registry });
    try {
      const image = { width: 96, height: 64, data: new Uint8Array(96 * 64 * 3).fill(90) };
      const result = await samclip.segment(image, { points: [{ x: 40, y: 30, label: 'foreground' }] });
      expect(result.masks).toHaveLength(3);
      const decoder = created.find((c) => c.inputs.includes('point_coords'));
      // Pruned to the low-res logits and scores, plus which masks the click upscaled (selectUpscaledMasks).
      expect(decoder?.outputs.sort()).toEqual(['iou_predictions', 'low_res_masks', 'upscaled_masks']);
      expect(created.find((c) => c.outputs.includes('backbone_features'))).toBeDefined();
    } finally {
      await samclip.dispose();
    }
  });

  it('opens unpruned graphs from the bundle files on engines that read files, and still prunes the decoder from bytes', async () => {
    const fromBytes: string[][] = [];
    const fromFiles: string[] = [];
    const reader: Backend = {
      init: () => backend.init(),
      isSupported: () => backend.isSupported(),
      createSession: (bytes, options) => {
        fromBytes.push(decodeModel(bytes).graph.outputs.map((o) => o.name));
        return backend.createSession(bytes, options);
      },
      createSessionFromFile: (file, options) => {
        fromFiles.push(path.relative(FIXTURE, file));
        return backend.createSessionFromFile!(file, options);
      },
    };
    const registry = new BackendRegistry();
    registry.register('reader', reader);
    const samclip = await loadSamClip(FIXTURE, { backend: 'reader', registry });
    try {
      const image = { width: 96, height: 64, data: new Uint8Array(96 * 64 * 3).fill(90) };
      const result = await samclip.segment(image, { points: [{ x: 40, y: 30, label: 'foreground' }] });
      expect(result.masks).toHaveLength(3);
      expect(fromFiles.sort()).toEqual(['backbone', 'sam_neck'].map((graph) => bundle.variant(graph).file).sort());
      // The decoder, staged for a click without a mask: its image-only prefix, then the pruned rest.
      expect(fromBytes).toHaveLength(2);
      expect(fromBytes[1]).toEqual(['iou_predictions', 'low_res_masks', 'upscaled_masks']);
    } finally {
      await samclip.dispose();
    }
  });

  it('runs the decoder\'s image-only prefix once per image for clicks, and the whole graph for mask prompts', async () => {
    const samclip = await loadSamClip(FIXTURE, { backend: 'ort-node' });
    const pruned = decodeModel(await bundle.readGraph('prompt_decoder'));
    pruneToOutputs(pruned, ['iou_predictions', 'low_res_masks']);
    const whole = await backend.createSession(encodeModel(pruned));
    try {
      const image = { width: 160, height: 120, data: new Uint8Array(160 * 120 * 3).map((_, i) => (i * 53) % 247) };
      const encoding = await samclip.encode(image);
      const { imageSize, gridSize } = bundle.config;
      const maskSize = bundle.config.maskInputSize ?? gridSize! * 4;
      const scale = imageSize! / 160;
      const clicks = [{ x: 20, y: 30 }, { x: 90, y: 60 }, { x: 150, y: 110 }];
      for (const [i, click] of clicks.entries()) {
        const result = await samclip.segment(encoding, { points: [{ ...click, label: 'foreground' }] });
        expect(samclip.runCounts()['prompt_decoder:prefix']).toBe(1);
        expect(samclip.runCounts().prompt_decoder).toBe(i + 1);
        const embeddings = await encoding.memo<Tensor>('sam_neck', () => Promise.reject(new Error('segment() did not memoise the SAM embeddings')));
        const out = await whole.run({
          image_embeddings: embeddings,
          point_coords: createTensor('float32', [1, 2, 2], Float32Array.of(click.x * scale, click.y * scale, 0, 0)),
          point_labels: createTensor('float32', [1, 2], Float32Array.of(1, -1)),
          mask_input: createTensor('float32', [1, 1, maskSize, maskSize], new Float32Array(maskSize * maskSize)),
          has_mask_input: createTensor('float32', [1], Float32Array.of(0)),
          orig_im_size: createTensor('float32', [2], Float32Array.of(1, 1)),
        });
        const lowRes = (out.low_res_masks as Tensor<'float32'>).data;
        result.lowResLogits.forEach((plane, k) => expect(maxAbsDiff(plane.data, lowRes.subarray((k + 1) * maskSize * maskSize, (k + 2) * maskSize * maskSize)), `click ${i} mask ${k + 1}`).toBeLessThanOrEqual(1e-4));
      }
      // A mask prompt runs the graph as exported (its mask branch), not the staged one.
      const previous = await samclip.segment(encoding, { points: [{ x: 90, y: 60, label: 'foreground' }] });
      const before = samclip.runCounts().prompt_decoder!;
      await samclip.segment(encoding, { points: [{ x: 90, y: 60, label: 'foreground' }], mask: previous.lowResLogits[previous.best]! });
      expect(samclip.runCounts().prompt_decoder).toBe(before + 1);
      expect(samclip.runCounts()['prompt_decoder:prefix']).toBe(1);
      // A new image gets its own prefix run.
      await samclip.segment(await samclip.encode({ ...image, data: image.data.map((v) => 255 - v) }), { points: [{ x: 20, y: 30, label: 'foreground' }] });
      expect(samclip.runCounts()['prompt_decoder:prefix']).toBe(2);
    } finally {
      await whole.dispose();
      await samclip.dispose();
    }
  });

  it('without low-res logits, upsamples only the tokens the masks read and returns the same masks', async () => {
    const grids: number[][] = [];
    const spy: Backend = {
      init: () => backend.init(),
      isSupported: () => backend.isSupported(),
      createSession: async (bytes, options) => {
        const session = await backend.createSession(bytes, options);
        if (!session.inputs.some((input) => input.name === UPSCALE_GRID_INPUT)) return session;
        return {
          inputs: session.inputs,
          outputs: session.outputs,
          holdsBuffers: session.holdsBuffers,
          run: (feeds, outputNames) => {
            grids.push(Array.from((feeds[UPSCALE_GRID_INPUT] as Tensor<'int64'>).data, Number));
            return session.run(feeds, outputNames);
          },
          dispose: () => session.dispose(),
        } as InferenceSession;
      },
    };
    const registry = new BackendRegistry();
    registry.register('spy', spy);
    const samclip = await loadSamClip(FIXTURE, { backend: 'spy', registry });
    try {
      const gridSize = bundle.config.gridSize!;
      for (const [width, height] of [[160, 90], [60, 150], [100, 100]] as const) {
        const image = { width, height, data: new Uint8Array(width * height * 3).map((_, i) => (i * 31) % 251) };
        const encoding = await samclip.encode(image);
        const click = { points: [{ x: width / 3, y: height / 2, label: 'foreground' as const }] };
        for (const bestOnly of [true, false]) {
          grids.length = 0;
          const full = await samclip.segment(encoding, click, { bestOnly, returnLogits: true });
          const cropped = await samclip.segment(encoding, click, { bestOnly, returnLogits: true, lowResLogits: false });
          expect(grids).toHaveLength(2);
          expect(grids[0]).toEqual([gridSize, gridSize]);
          const [rows, cols] = grids[1]!;
          // Only the side that is shorter than the grid is cropped, to the tokens under the image.
          if (width > height) expect([rows! < gridSize, cols]).toEqual([true, gridSize]);
          else if (height > width) expect([rows, cols! < gridSize]).toEqual([gridSize, true]);
          else expect([rows, cols]).toEqual([gridSize, gridSize]);
          expect(cropped.lowResLogits).toEqual([]);
          expect(full.lowResLogits).toHaveLength(full.masks.length);
          expect(cropped.scores).toEqual(full.scores);
          expect(cropped.masks).toEqual(full.masks);
          expect(cropped.logits).toEqual(full.logits);
        }
        encoding.dispose();
      }
    } finally {
      await samclip.dispose();
    }
  });

  it('encode with prepare: \'segment\' runs the neck, the decoder prefix and creates the per-click session ahead; clicks then run only the suffix', async () => {
    const created: string[] = [];
    const spinAfterRun: Record<string, boolean | undefined> = {};
    const planBuffers: Record<string, boolean | undefined> = {};
    const spy: Backend = {
      init: () => backend.init(),
      isSupported: () => backend.isSupported(),
      createSession: async (bytes, options) => {
        const session = await backend.createSession(bytes, options);
        const kind = options?.reuseBuffers ? 'suffix' : 'prefix';
        created.push(kind);
        spinAfterRun[kind] = options?.spinAfterRun;
        planBuffers[kind] = options?.planBuffers;
        return session;
      },
      createSessionFromFile: async (file, options) => {
        const graph = file.split('/').pop()!.split('.')[0]!;
        spinAfterRun[graph] = options?.spinAfterRun;
        planBuffers[graph] = options?.planBuffers;
        return backend.createSessionFromFile!(file, options);
      },
    };
    const registry = new BackendRegistry();
    registry.register('spy', spy);
    const prepared = await loadSamClip(FIXTURE, { backend: 'spy', registry });
    const lazy = await loadSamClip(FIXTURE, { backend: 'ort-node' });
    try {
      const image = { width: 96, height: 64, data: new Uint8Array(96 * 64 * 3).map((_, i) => (i * 37) % 239) };
      const click = { points: [{ x: 40, y: 30, label: 'foreground' as const }] };
      // The encode before this one released the per-click session; the next is created again at once.
      await prepared.segment(await prepared.encode({ ...image, data: image.data.map((v) => 255 - v) }), click);
      created.length = 0;
      const encoding = await prepared.encode(image, { prepare: 'segment' });
      // The fresh per-click session has also run twice (clicks at the centre), so its buffers exist.
      expect(prepared.runCounts()).toMatchObject({ backbone: 2, sam_neck: 2, 'prompt_decoder:prefix': 2, prompt_decoder: 3 });
      expect(created).toEqual(['suffix']);
      // Graphs run once per image stop their worker threads after each run; the per-click one keeps them ready.
      expect(spinAfterRun).toEqual({ backbone: false, sam_neck: false, prefix: false, suffix: undefined });
      // and allocate buffers as needed, not as one planned block; the per-click one keeps its plan.
      expect(planBuffers).toEqual({ backbone: false, sam_neck: false, prefix: false, suffix: undefined });
      const result = await prepared.segment(encoding, click);
      expect(prepared.runCounts()).toMatchObject({ backbone: 2, sam_neck: 2, 'prompt_decoder:prefix': 2, prompt_decoder: 4 });
      expect(created).toEqual(['suffix']);
      // Asking again (the cached encoding) runs neither the encoder nor the neck nor the prefix again.
      expect(await prepared.encode(image, { prepare: 'segment' })).toBe(encoding);
      expect(prepared.runCounts()).toMatchObject({ backbone: 2, sam_neck: 2, 'prompt_decoder:prefix': 2 });
      // The same masks as the first click on an encoding prepared by that click.
      const reference = await lazy.segment(await lazy.encode(image), click);
      expect(result.scores).toEqual(reference.scores);
      result.lowResLogits.forEach((plane, k) => expect(maxAbsDiff(plane.data, reference.lowResLogits[k]!.data)).toBe(0));
    } finally {
      await prepared.dispose();
      await lazy.dispose();
    }
  });

  it('gives the per-click session\'s buffers back while the next image is encoded, and a fresh session for its clicks', async () => {
    const events: string[] = [];
    const logged = (session: InferenceSession, label: string): InferenceSession => ({
      inputs: session.inputs,
      outputs: session.outputs,
      ...(session.holdsBuffers === undefined ? {} : { holdsBuffers: session.holdsBuffers }),
      run: (f, names) => {
        events.push(`run ${label}`);
        return session.run(f, names);
      },
      dispose: () => {
        events.push(`dispose ${label}`);
        return session.dispose();
      },
    });
    let suffixes = 0;
    const spy: Backend = {
      init: () => backend.init(),
      isSupported: () => backend.isSupported(),
      createSession: async (bytes, options) => {
        const label = options?.reuseBuffers ? `suffix ${++suffixes}` : 'prefix';
        events.push(`create ${label}`);
        return logged(await backend.createSession(bytes, options), label);
      },
      createSessionFromFile: async (file, options) => logged(await backend.createSessionFromFile!(file, options), path.basename(path.dirname(file)) === 'graphs' ? path.basename(file) : file),
    };
    const registry = new BackendRegistry();
    registry.register('spy', spy);
    const samclip = await loadSamClip(FIXTURE, { backend: 'spy', registry });
    try {
      const image = { width: 96, height: 64, data: new Uint8Array(96 * 64 * 3).map((_, i) => (i * 31) % 251) };
      const click = { points: [{ x: 40, y: 30, label: 'foreground' as const }] };
      const first = await samclip.segment(image, click);
      events.length = 0;
      const second = await samclip.segment({ ...image, data: image.data.map((v) => 255 - v) }, click);
      const backbone = events.findIndex((event) => event.startsWith('run ') && event.includes('backbone'));
      expect(backbone, events.join(', ')).toBeGreaterThan(0);
      // The used suffix goes before the encoder runs and its successor comes after it, so neither
      // its buffers nor its weights are in memory while the encoder runs; the fresh one is clicked with.
      expect(events.indexOf('dispose suffix 1')).toBeGreaterThanOrEqual(0);
      expect(events.indexOf('dispose suffix 1')).toBeLessThan(backbone);
      expect(events.indexOf('create suffix 2')).toBeGreaterThan(backbone);
      expect(events.filter((event) => event.startsWith('run suffix'))).toEqual(['run suffix 2']);
      expect(second.masks).toHaveLength(first.masks.length);
    } finally {
      await samclip.dispose();
    }
  });

  it('segment returns the masks of the full graph and of thresholding the full-size logits', async () => {
    const samclip = await loadSamClip(FIXTURE, { backend: 'ort-node' });
    const full = await backend.createSession(await bundle.readGraph('prompt_decoder'));
    try {
      const image = { width: 160, height: 120, data: new Uint8Array(160 * 120 * 3).map((_, i) => (i * 37) % 251) };
      const encoding = await samclip.encode(image);
      const point = { x: 70, y: 50, label: 'foreground' as const };
      const fast = await samclip.segment(encoding, { points: [point] });
      const withLogits = await samclip.segment(encoding, { points: [point] }, { returnLogits: true });
      expect(fast.scores).toEqual(withLogits.scores);
      fast.masks.forEach((mask, k) => expect(mask.data, `mask ${k}`).toEqual(thresholdMap(withLogits.logits![k]!).data));
      const best = await samclip.segment(encoding, { points: [point] }, { bestOnly: true });
      expect(best.best).toBe(0);
      expect(best.scores).toEqual([fast.scores[fast.best]]);
      expect(best.masks[0]!.data).toEqual(fast.masks[fast.best]!.data);
      expect(best.lowResLogits[0]!.data).toEqual(fast.lowResLogits[fast.best]!.data);

      // The graph as exported, fed the same prompt and the real orig_im_size, upsamples in-graph.
      // segment() memoised the SAM neck's embeddings on the encoding; read them back.
      const imageEmbeddings = await encoding.memo<Tensor>('sam_neck', () => Promise.reject(new Error('segment() did not memoise the SAM embeddings')));
      const { imageSize, gridSize } = bundle.config;
      const maskSize = bundle.config.maskInputSize ?? gridSize! * 4;
      const scale = imageSize! / 160;
      const graphFeeds = {
        ...feeds,
        point_coords: createTensor('float32', [1, 2, 2], Float32Array.of(point.x * scale, point.y * scale, 0, 0)),
        point_labels: createTensor('float32', [1, 2], Float32Array.of(1, -1)),
        has_mask_input: createTensor('float32', [1], Float32Array.of(0)),
        mask_input: createTensor('float32', [1, 1, maskSize, maskSize], new Float32Array(maskSize * maskSize)),
        orig_im_size: createTensor('float32', [2], Float32Array.of(120, 160)),
        image_embeddings: imageEmbeddings,
      };
      const out = await full.run(graphFeeds);
      const masks = out.masks as Tensor<'float32'>;
      const [, count, height, width] = masks.dims as [number, number, number, number];
      expect([width, height]).toEqual([160, 120]);
      for (let k = 1; k < count; k++) {
        const plane = thresholdMap({ width, height, data: masks.data.subarray(k * width * height, (k + 1) * width * height) });
        expect(maskIoU(plane, fast.masks[k - 1]!), `mask ${k}`).toBeGreaterThanOrEqual(0.999);
      }
    } finally {
      await full.dispose();
      await samclip.dispose();
    }
  });
});
