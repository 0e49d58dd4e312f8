/**
 * Small runnable bundles for task-API tests, built in memory from the core IR. The graphs follow
 * their role contracts with simple, inspectable maths:
 * - backbone: 8×8 average pooling of the pixels, then a 3→D projection per cell;
 * - sam_neck / sam_encoder: a D→C projection; clip_head: a D→E projection, mean-pooled for image_embeds;
 * - prompt_decoder: mask k is a disc of radius r_k around the first point (logit r_k − distance in
 *   the model frame) plus the mask prompt when has_mask_input is 1; `masks` is produced in-graph
 *   with Meta's export recipe (Resize to S×S, slice the unpadded region, Resize to orig_im_size),
 *   so the SDK's own mask post-processing can be checked against onnxruntime's Resize;
 * - text_encoder: mean of token embeddings.
 */
import { sha256Hex } from '../../bundle/integrity.js';
import type { BundleManifest, FileEntry } from '../../bundle/manifest.js';
import { encodeModel } from '../../graph/codec.js';
import type { Attribute, DType, Initializer, Model, Node, TensorData, ValueInfo } from '../../graph/types.js';
import type { BundleKind } from '../../schema/roles.js';

export const SYNTHETIC_CONFIG = {
  imageSize: 32,
  patchSize: 8,
  gridSize: 4,
  backboneDim: 6,
  embedDim: 5,
  maskInputSize: 16,
  textEmbedDim: 8,
  contextLength: 77,
  vocabSize: 49408,
  clipImageSize: 16,
  clipGridSize: 2,
  logitScale: 100,
} as const;

/** Disc radii (model-frame pixels) of the four decoder outputs: single-mask output, then three multimask outputs. */
export const SYNTHETIC_RADII = [6, 3, 6, 10] as const;
export const SYNTHETIC_IOU = [0.5, 0.7, 0.95, 0.9] as const;

const cfg = SYNTHETIC_CONFIG;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function initializer(name: string, dtype: DType, dims: number[], data: TensorData): Initializer {
  return { name, dtype, dims, data };
}

function randomWeights(name: string, dims: number[], seed: number): Initializer {
  const next = rng(seed);
  return initializer(name, 'float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, next));
}

function ints(name: string, value: number[]): Attribute {
  return { name, value: { type: 'ints', value } };
}
function int(name: string, value: number): Attribute {
  return { name, value: { type: 'int', value } };
}
function str(name: string, value: string): Attribute {
  return { name, value: { type: 'string', value } };
}

let nodeCount = 0;
function node(opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = []): Node {
  return { name: `${opType}_${nodeCount++}`, opType, domain: '', inputs, outputs, attributes };
}

function value(name: string, elemType: DType, shape: Array<number | string>): ValueInfo {
  return { name, type: { kind: 'tensor', elemType, shape } };
}

function model(name: string, nodes: Node[], initializers: Initializer[], inputs: ValueInfo[], outputs: ValueInfo[]): Uint8Array {
  const m: Model = {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'samclip-synthetic',
    metadataProps: [],
    graph: { name, nodes, initializers, inputs, outputs, valueInfo: [] },
  };
  return encodeModel(m);
}

/** pixel_values [1,3,S,S] → features [1,G,G,D] named `output`. */
function encoderNodes(pixelSide: number, patch: number, dim: number, output: string, seed: number): { nodes: Node[]; initializers: Initializer[] } {
  void pixelSide;
  return {
    nodes: [
      node('AveragePool', ['pixel_values'], ['pooled'], [ints('kernel_shape', [patch, patch]), ints('strides', [patch, patch])]),
      node('Transpose', ['pooled'], ['cells'], [ints('perm', [0, 2, 3, 1])]),
      node('MatMul', ['cells', 'w_patch'], [output]),
    ],
    initializers: [randomWeights('w_patch', [3, dim], seed)],
  };
}

function backboneModel(): Uint8Array {
  const { nodes, initializers } = encoderNodes(cfg.imageSize, cfg.patchSize, cfg.backboneDim, 'backbone_features', 1);
  return model('backbone', nodes, initializers, [value('pixel_values', 'float32', [1, 3, cfg.imageSize, cfg.imageSize])], [value('backbone_features', 'float32', [1, cfg.gridSize, cfg.gridSize, cfg.backboneDim])]);
}

function samNeckModel(): Uint8Array {
  return model(
    'sam_neck',
    [node('MatMul', ['backbone_features', 'w_neck'], ['neck']), node('Transpose', ['neck'], ['image_embeddings'], [ints('perm', [0, 3, 1, 2])])],
    [randomWeights('w_neck', [cfg.backboneDim, cfg.embedDim], 2)],
    [value('backbone_features', 'float32', [1, cfg.gridSize, cfg.gridSize, cfg.backboneDim])],
    [value('image_embeddings', 'float32', [1, cfg.embedDim, cfg.gridSize, cfg.gridSize])],
  );
}

function samEncoderModel(): Uint8Array {
  const { nodes, initializers } = encoderNodes(cfg.imageSize, cfg.patchSize, cfg.backboneDim, 'features', 1);
  return model(
    'sam_encoder',
    [...nodes, node('MatMul', ['features', 'w_neck'], ['neck']), node('Transpose', ['neck'], ['image_embeddings'], [ints('perm', [0, 3, 1, 2])])],
    [...initializers, randomWeights('w_neck', [cfg.backboneDim, cfg.embedDim], 2)],
    [value('pixel_values', 'float32', [1, 3, cfg.imageSize, cfg.imageSize])],
    [value('image_embeddings', 'float32', [1, cfg.embedDim, cfg.gridSize, cfg.gridSize])],
  );
}

function clipHeadModel(): Uint8Array {
  return model(
    'clip_head',
    [node('MatMul', ['backbone_features', 'w_clip'], ['dense_embeds']), node('ReduceMean', ['dense_embeds'], ['image_embeds'], [ints('axes', [1, 2]), int('keepdims', 0)])],
    [randomWeights('w_clip', [cfg.backboneDim, cfg.textEmbedDim], 3)],
    [value('backbone_features', 'float32', [1, cfg.gridSize, cfg.gridSize, cfg.backboneDim])],
    [value('image_embeds', 'float32', [1, cfg.textEmbedDim]), value('dense_embeds', 'float32', [1, cfg.gridSize, cfg.gridSize, cfg.textEmbedDim])],
  );
}

function clipImageEncoderModel(): Uint8Array {
  const { nodes, initializers } = encoderNodes(cfg.clipImageSize, cfg.clipImageSize / cfg.clipGridSize, cfg.textEmbedDim, 'dense_embeds', 4);
  return model(
    'clip_image_encoder',
    [...nodes, node('ReduceMean', ['dense_embeds'], ['image_embeds'], [ints('axes', [1, 2]), int('keepdims', 0)])],
    initializers,
    [value('pixel_values', 'float32', [1, 3, cfg.clipImageSize, cfg.clipImageSize])],
    [value('image_embeds', 'float32', [1, cfg.textEmbedDim]), value('dense_embeds', 'float32', [1, cfg.clipGridSize, cfg.clipGridSize, cfg.textEmbedDim])],
  );
}

function textEncoderModel(): Uint8Array {
  return model(
    'text_encoder',
    [node('Gather', ['token_table', 'input_ids'], ['tokens'], [int('axis', 0)]), node('ReduceMean', ['tokens'], ['text_embeds'], [ints('axes', [1]), int('keepdims', 0)])],
    [randomWeights('token_table', [cfg.vocabSize, cfg.textEmbedDim], 5)],
    [value('input_ids', 'int64', ['B', cfg.contextLength])],
    [value('text_embeds', 'float32', ['B', cfg.textEmbedDim])],
  );
}

function promptDecoderModel(): Uint8Array {
  const M = cfg.maskInputSize;
  const S = cfg.imageSize;
  const grid = new Float32Array(M * M * 2);
  for (let v = 0; v < M; v++) {
    for (let u = 0; u < M; u++) {
      grid[(v * M + u) * 2] = ((u + 0.5) * S) / M;
      grid[(v * M + u) * 2 + 1] = ((v + 0.5) * S) / M;
    }
  }
  const f32 = (name: string, dims: number[], data: number[]) => initializer(name, 'float32', dims, Float32Array.from(data));
  const i64 = (name: string, data: number[]) => initializer(name, 'int64', [data.length], BigInt64Array.from(data.map(BigInt)));
  const nodes: Node[] = [
    // First point, [1, 1, 2] → distance to every mask-input cell centre.
    node('Slice', ['point_coords', 'zero', 'one', 'one'], ['first_point']),
    node('Reshape', ['first_point', 'shape_point'], ['point_xy']),
    node('Sub', ['grid_xy', 'point_xy'], ['delta']),
    node('Mul', ['delta', 'delta'], ['delta_sq']),
    node('ReduceSum', ['delta_sq', 'minus_one'], ['dist_sq'], [int('keepdims', 0)]),
    node('Sqrt', ['dist_sq'], ['dist']),
    node('Sub', ['radii', 'dist'], ['discs']),
    node('Mul', ['mask_input', 'has_mask_input'], ['mask_prompt']),
    node('Reshape', ['mask_prompt', 'shape_mask'], ['mask_prompt_2d']),
    node('Add', ['discs', 'mask_prompt_2d'], ['with_prompt']),
    node('ReduceMean', ['image_embeddings'], ['embedding_mean'], [int('keepdims', 0)]),
    node('Mul', ['embedding_mean', 'image_weight'], ['image_term']),
    node('Add', ['with_prompt', 'image_term'], ['low_res_3d']),
    node('Unsqueeze', ['low_res_3d', 'zero'], ['low_res_masks']),
    node('Add', ['iou_base', 'image_term'], ['iou_predictions']),
    // Meta's mask_postprocessing: upsample to S×S, crop the resized image, resize to orig_im_size.
    node('Resize', ['low_res_masks', '', '', 'padded_sizes'], ['padded'], [str('mode', 'linear'), str('coordinate_transformation_mode', 'half_pixel')]),
    node('ReduceMax', ['orig_im_size'], ['longest'], [int('keepdims', 0)]),
    node('Div', ['side', 'longest'], ['scale']),
    node('Mul', ['orig_im_size', 'scale'], ['scaled']),
    node('Add', ['scaled', 'half'], ['scaled_half']),
    node('Floor', ['scaled_half'], ['prepadded']),
    node('Cast', ['prepadded'], ['prepadded_i64'], [int('to', 7)]),
    node('Slice', ['padded', 'zeros2', 'prepadded_i64', 'axes23'], ['cropped']),
    node('Cast', ['orig_im_size'], ['orig_i64'], [int('to', 7)]),
    node('Concat', ['batch_masks', 'orig_i64'], ['final_sizes'], [int('axis', 0)]),
    node('Resize', ['cropped', '', '', 'final_sizes'], ['masks'], [str('mode', 'linear'), str('coordinate_transformation_mode', 'half_pixel')]),
  ];
  const initializers = [
    i64('zero', [0]),
    i64('one', [1]),
    i64('minus_one', [-1]),
    i64('shape_point', [1, 1, 2]),
    i64('shape_mask', [1, M, M]),
    i64('padded_sizes', [1, 4, S, S]),
    i64('zeros2', [0, 0]),
    i64('axes23', [2, 3]),
    i64('batch_masks', [1, 4]),
    f32('grid_xy', [M, M, 2], Array.from(grid)),
    f32('radii', [4, 1, 1], [...SYNTHETIC_RADII]),
    f32('iou_base', [1, 4], [...SYNTHETIC_IOU]),
    f32('image_weight', [], [0.001]),
    f32('side', [], [S]),
    f32('half', [], [0.5]),
  ];
  return model(
    'prompt_decoder',
    nodes,
    initializers,
    [
      value('image_embeddings', 'float32', [1, cfg.embedDim, cfg.gridSize, cfg.gridSize]),
      value('point_coords', 'float32', [1, 'N', 2]),
      value('point_labels', 'float32', [1, 'N']),
      value('mask_input', 'float32', [1, 1, M, M]),
      value('has_mask_input', 'float32', [1]),
      value('orig_im_size', 'float32', [2]),
    ],
    [value('masks', 'float32', [1, 4, 'H', 'W']), value('iou_predictions', 'float32', [1, 4]), value('low_res_masks', 'float32', [1, 4, M, M])],
  );
}

const BUILDERS = {
  backbone: backboneModel,
  sam_neck: samNeckModel,
  sam_encoder: samEncoderModel,
  prompt_decoder: promptDecoderModel,
  clip_head: clipHeadModel,
  clip_image_encoder: clipImageEncoderModel,
  text_encoder: textEncoderModel,
} as const;

const KIND_GRAPHS: Record<BundleKind, Array<keyof typeof BUILDERS>> = {
  'sam-clip': ['backbone', 'sam_neck', 'prompt_decoder', 'clip_head', 'text_encoder'],
  sam: ['sam_encoder', 'prompt_decoder'],
  clip: ['clip_image_encoder', 'text_encoder'],
  'sam+clip': ['sam_encoder', 'prompt_decoder', 'clip_image_encoder', 'text_encoder'],
};

/** The prompt decoder graph alone (to run it directly against the SDK's post-processing). */
export function syntheticPromptDecoder(): Uint8Array {
  return promptDecoderModel();
}

/** Files of a runnable synthetic bundle of `kind`; `vocab` is the CLIP BPE file for kinds with a text encoder. */
export async function buildSyntheticBundle(kind: BundleKind, vocab?: Uint8Array): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const entry = async (file: string, bytes: Uint8Array): Promise<FileEntry> => {
    files.set(file, bytes);
    return { file, sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
  };
  const manifest: BundleManifest = {
    schemaVersion: 1,
    name: `synthetic-${kind}`,
    kind,
    config: { ...SYNTHETIC_CONFIG },
    graphs: {},
    preprocess: {},
  };
  if (kind !== 'clip') {
    manifest.preprocess.sam = { longestSide: cfg.imageSize, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], resize: 'bilinear-antialias', pad: 'bottom-right' };
  }
  if (kind === 'clip' || kind === 'sam+clip') {
    manifest.preprocess.clip = { size: cfg.clipImageSize, mean: [122.7709, 116.746, 104.0937], std: [68.5005, 66.6322, 70.3232], resize: 'bicubic-antialias', crop: 'center' };
  }
  for (const role of KIND_GRAPHS[kind]) {
    manifest.graphs[role] = { role, variants: { fp32: { ...(await entry(`graphs/${role}.fp32.onnx`, BUILDERS[role]())), dtype: 'fp32' } } };
  }
  if (KIND_GRAPHS[kind].includes('text_encoder')) {
    if (!vocab) throw new Error(`a ${kind} synthetic bundle needs the CLIP BPE vocab`);
    manifest.tokenizer = { type: 'clip-bpe', vocab: await entry('tokenizer/bpe_vocab.txt.gz', vocab), contextLength: 77, startToken: 49406, endToken: 49407, padToken: 0 };
    manifest.templates = { default: ['a photo of a {}.'] };
  }
  files.set('samclip.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return files;
}
