/**
 * A tiny, runnable `clip` bundle (clip_image_encoder + text_encoder) in TINY dims, with reference
 * inputs and fp32 reference outputs computed by onnxruntime-node.
 */
import { encodeModel, encodeTensor } from '@samclip/core';
import type { BundleManifest, FileEntry, Model } from '@samclip/core';
import { fileEntryFor, writeBundle } from '@samclip/core/node';
import { buildModel, floatInit, int, ints, node, randomFloats, runOrt, seededRandom, tensorInfo } from './models.js';
import * as ort from 'onnxruntime-node';

const WIDTH = 64;
const EMBED = 24;
const CONTEXT = 77;

function imageEncoder(): Model {
  const model = buildModel({
    inputs: [tensorInfo('pixel_values', 'float32', [1, 3, 32, 32])],
    outputs: [tensorInfo('image_embeds', 'float32', [1, EMBED]), tensorInfo('dense_embeds', 'float32', [1, 2, 2, EMBED])],
    initializers: [
      floatInit('visual.patch_embed.weight', [WIDTH, 3, 16, 16], 1, 0.05),
      floatInit('visual.blocks.0.fc1.weight', [WIDTH, 256], 2, 0.1),
      floatInit('visual.blocks.0.fc1.bias', [256], 3, 0.05),
      floatInit('visual.proj.weight', [256, EMBED], 4, 0.1),
      { name: 'tokens_shape', dtype: 'int64', dims: [3], data: BigInt64Array.of(1n, BigInt(WIDTH), 4n) },
      { name: 'grid_shape', dtype: 'int64', dims: [4], data: BigInt64Array.of(1n, 2n, 2n, BigInt(EMBED)) },
    ],
    nodes: [
      node('Conv', ['pixel_values', 'visual.patch_embed.weight'], ['patches'], [ints('strides', [16, 16]), ints('kernel_shape', [16, 16])], '/visual/patch_embed/Conv'),
      node('Reshape', ['patches', 'tokens_shape'], ['flat'], [], '/visual/Reshape'),
      node('Transpose', ['flat'], ['tokens'], [ints('perm', [0, 2, 1])], '/visual/Transpose'),
      node('MatMul', ['tokens', 'visual.blocks.0.fc1.weight'], ['h_raw'], [], '/visual/blocks.0/fc1/MatMul'),
      node('Add', ['h_raw', 'visual.blocks.0.fc1.bias'], ['h_bias'], [], '/visual/blocks.0/fc1/Add'),
      node('Relu', ['h_bias'], ['h'], [], '/visual/blocks.0/act/Relu'),
      node('MatMul', ['h', 'visual.proj.weight'], ['dense_tokens'], [], '/visual/proj/MatMul'),
      node('Reshape', ['dense_tokens', 'grid_shape'], ['dense_embeds'], [], '/visual/Reshape_1'),
      node('ReduceMean', ['dense_tokens'], ['image_embeds'], [ints('axes', [1]), int('keepdims', 0)], '/visual/ReduceMean'),
    ],
  });
  model.graph.name = 'clip_image_encoder';
  return model;
}

function textEncoder(): Model {
  const model = buildModel({
    inputs: [tensorInfo('input_ids', 'int64', ['batch', CONTEXT])],
    outputs: [tensorInfo('text_embeds', 'float32', ['batch', EMBED])],
    initializers: [floatInit('text.token_embedding.weight', [1000, WIDTH], 5, 0.5), floatInit('text.projection', [WIDTH, EMBED], 6, 0.2)],
    nodes: [
      node('Gather', ['text.token_embedding.weight', 'input_ids'], ['embedded'], [int('axis', 0)], '/text/token_embedding/Gather'),
      node('ReduceMean', ['embedded'], ['pooled'], [ints('axes', [1]), int('keepdims', 0)], '/text/ReduceMean'),
      node('MatMul', ['pooled', 'text.projection'], ['text_embeds'], [], '/text/projection/MatMul'),
    ],
  });
  model.graph.name = 'text_encoder';
  return model;
}

export async function writeClipBundle(dir: string): Promise<void> {
  const files = new Map<string, Uint8Array>();
  const entry = async (file: string, bytes: Uint8Array): Promise<FileEntry> => {
    files.set(file, bytes);
    return fileEntryFor(file, bytes);
  };
  const image = imageEncoder();
  const text = textEncoder();
  const pixels = randomFloats(3 * 32 * 32, 77, 1);
  const random = seededRandom(5);
  const ids = BigInt64Array.from({ length: 3 * CONTEXT }, () => BigInt(Math.floor(random() * 1000)));
  const imageOut = await runOrt(image, { pixel_values: { dims: [1, 3, 32, 32], data: pixels } });
  const textSession = await ort.InferenceSession.create(encodeModel(text), { logSeverityLevel: 3 });
  const textOut = (await textSession.run({ input_ids: new ort.Tensor('int64', ids, [3, CONTEXT]) }))['text_embeds']!.data as Float32Array;
  await textSession.release();
  const manifest: BundleManifest = {
    schemaVersion: 1,
    name: 'converter-test-clip',
    kind: 'clip',
    config: { imageSize: 64, patchSize: 16, gridSize: 4, backboneDim: 32, embedDim: 16, maskInputSize: 16, textEmbedDim: EMBED, contextLength: CONTEXT, vocabSize: 1000, clipImageSize: 32, clipGridSize: 2, logitScale: 100 },
    graphs: {
      clip_image_encoder: { role: 'clip_image_encoder', variants: { fp32: { ...(await entry('graphs/clip_image_encoder.fp32.onnx', encodeModel(image))), dtype: 'fp32' } } },
      text_encoder: { role: 'text_encoder', variants: { fp32: { ...(await entry('graphs/text_encoder.fp32.onnx', encodeModel(text))), dtype: 'fp32' } } },
    },
    preprocess: { clip: { size: 32, mean: [122.77, 116.75, 104.09], std: [68.5, 66.63, 70.32], resize: 'bilinear-antialias', crop: 'center' } },
    tokenizer: { type: 'clip-bpe', vocab: await entry('tokenizer/bpe_vocab.txt', new TextEncoder().encode('#version: 0.2\na b\n')), contextLength: CONTEXT, startToken: 49406, endToken: 49407, padToken: 0 },
    references: {
      graphs: {
        clip_image_encoder: {
          inputs: [await entry('references/clip_image_encoder/input_0.pb', encodeTensor('pixel_values', { dtype: 'float32', dims: [1, 3, 32, 32], data: pixels }))],
          outputs: [
            await entry('references/clip_image_encoder/output_0.pb', encodeTensor('image_embeds', { dtype: 'float32', dims: [1, EMBED], data: imageOut['image_embeds']! })),
            await entry('references/clip_image_encoder/output_1.pb', encodeTensor('dense_embeds', { dtype: 'float32', dims: [1, 2, 2, EMBED], data: imageOut['dense_embeds']! })),
          ],
        },
        text_encoder: {
          inputs: [await entry('references/text_encoder/input_0.pb', encodeTensor('input_ids', { dtype: 'int64', dims: [3, CONTEXT], data: ids }))],
          outputs: [await entry('references/text_encoder/output_0.pb', encodeTensor('text_embeds', { dtype: 'float32', dims: [3, EMBED], data: Float32Array.from(textOut) }))],
        },
      },
    },
    provenance: { source: { checkpoint: 'random', seed: 0 } },
  };
  await writeBundle(dir, { manifest, files });
}
