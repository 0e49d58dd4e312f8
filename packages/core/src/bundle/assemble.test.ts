import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamClipError } from '../errors.js';
import { encodeModel } from '../graph/index.js';
import type { Model } from '../graph/types.js';
import { TINY_CONFIG, roleModel } from '../schema/test-utils/role-models.js';
import { assembleBundle, loadBundleFromDirectory } from './node.js';

async function rejection(promise: Promise<unknown>): Promise<SamClipError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SamClipError);
    return error as SamClipError;
  }
  throw new Error('expected a rejection');
}

/** Meta's exported decoder: dynamic point count, output dims left symbolic by the exporter. */
function metaStyleDecoder(): Model {
  return roleModel('prompt_decoder', {}, {
    override: {
      image_embeddings: { shape: [1, 16, 4, 4] },
      point_coords: { shape: [1, 'num_points', 2] },
      point_labels: { shape: [1, 'num_points'] },
      mask_input: { shape: [1, 1, 16, 16] },
      masks: { shape: ['Resizemasks_dim_0', 'Resizemasks_dim_1', 'Resizemasks_dim_2', 'Resizemasks_dim_3'] },
      iou_predictions: { shape: ['Concat_dim_0', 4] },
      low_res_masks: { shape: [1, 4, 'd2', 'd3'] },
    },
  });
}

describe('assembleBundle', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'samclip-assemble-test-'));
    await writeFile(join(root, 'decoder.onnx'), encodeModel(metaStyleDecoder()));
    await writeFile(join(root, 'encoder.onnx'), encodeModel(roleModel('sam_encoder')));
    await writeFile(join(root, 'wide-encoder.onnx'), encodeModel(roleModel('sam_encoder', { ...TINY_CONFIG, embedDim: 32 })));
    const external = roleModel('sam_encoder');
    const weight = external.graph.initializers[0]!;
    delete weight.data;
    weight.external = { location: 'encoder.weights', offset: 0, length: 64 };
    await writeFile(join(root, 'external.onnx'), encodeModel(external));
    await writeFile(join(root, 'encoder.weights'), new Uint8Array(64).fill(7));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('builds a sam bundle from foreign ONNX files, inferring config from the graphs', async () => {
    const outDir = join(root, 'out', 'sam-bundle');
    const manifest = await assembleBundle({
      outDir,
      kind: 'sam',
      graphs: [
        { role: 'sam_encoder', file: join(root, 'encoder.onnx') },
        { role: 'prompt_decoder', file: join(root, 'decoder.onnx') },
      ],
    });
    expect(manifest.config).toEqual({ imageSize: 64, gridSize: 4, embedDim: 16, maskInputSize: 16, patchSize: 16 });
    expect(manifest.name).toBe('sam-bundle');
    expect(manifest.preprocess.sam?.longestSide).toBe(64);
    const bundle = await loadBundleFromDirectory(outDir);
    await bundle.verifyAll();
    await expect(bundle.readModel('prompt_decoder')).resolves.toBeDefined();
    expect(bundle.variant('sam_encoder').file).toBe('graphs/sam_encoder.fp32.onnx');
  });

  it('carries external data beside the graph and hands it back by location', async () => {
    const outDir = join(root, 'out', 'external');
    const manifest = await assembleBundle({
      outDir,
      kind: 'sam',
      graphs: [
        { role: 'sam_encoder', file: join(root, 'external.onnx') },
        { role: 'prompt_decoder', file: join(root, 'decoder.onnx') },
      ],
    });
    expect(manifest.graphs['sam_encoder']?.variants['fp32']?.externalData?.map((e) => [e.file, e.bytes])).toEqual([['graphs/encoder.weights', 64]]);
    const bundle = await loadBundleFromDirectory(outDir);
    const data = await bundle.readExternalData('sam_encoder');
    expect([...data.keys()]).toEqual(['encoder.weights']);
    expect(data.get('encoder.weights')?.[0]).toBe(7);
  });

  it('fails naming graph and tensor when graphs disagree, and writes nothing', async () => {
    const outDir = join(root, 'out', 'mismatch');
    const error = await rejection(
      assembleBundle({
        outDir,
        kind: 'sam',
        graphs: [
          { role: 'sam_encoder', file: join(root, 'wide-encoder.onnx') },
          { role: 'prompt_decoder', file: join(root, 'decoder.onnx') },
        ],
      }),
    );
    expect(error.code).toBe('CONTRACT');
    expect(error.message).toBe('graph "prompt_decoder": input "image_embeddings" has shape [1,16,4,4], contract needs [1,32,4,4]');
    expect(await readdir(join(root, 'out'))).not.toContain('mismatch');
  });

  it('checks given config against the graphs, and asks for dims the graphs leave open', async () => {
    const conflict = await rejection(
      assembleBundle({
        outDir: join(root, 'out', 'conflict'),
        kind: 'sam',
        config: { imageSize: 1024 },
        graphs: [
          { role: 'sam_encoder', file: join(root, 'encoder.onnx') },
          { role: 'prompt_decoder', file: join(root, 'decoder.onnx') },
        ],
      }),
    );
    expect(conflict.message).toBe('graph "sam_encoder": input "pixel_values" has shape [1,3,64,64], contract needs [1,3,1024,1024]');
    const missing = await rejection(
      assembleBundle({ outDir: join(root, 'out', 'decoder-only'), kind: 'sam', graphs: [{ role: 'prompt_decoder', file: join(root, 'decoder.onnx') }] }),
    );
    expect(missing.message).toBe('a sam bundle needs graphs for sam_encoder');
    const wrongRole = await rejection(
      assembleBundle({ outDir: join(root, 'out', 'x'), kind: 'sam', graphs: [{ role: 'text_encoder', file: join(root, 'decoder.onnx') }] }),
    );
    expect(wrongRole.message).toContain('a sam bundle has no text_encoder graph');
  });
});
