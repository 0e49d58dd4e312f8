/**
 * Test helpers: hand-built IR models, seeded random weights, and a direct onnxruntime-node run
 * (tests may use an engine; the converter's own sources never do).
 */
import * as ort from 'onnxruntime-node';
import { encodeModel } from '@samclip/core';
import type { Attribute, DType, Initializer, Model, Node, TensorTypeInfo, ValueInfo } from '@samclip/core';

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Roughly normal values with the given standard deviation (sum of uniforms). */
export function randomFloats(count: number, seed: number, std = 1): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() + random() + random() - 1.5) * 2 * std;
  return out;
}

export function floatInit(name: string, dims: number[], seed: number, std = 0.1): Initializer {
  return { name, dtype: 'float32', dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), seed, std) };
}

export function int64Init(name: string, values: number[]): Initializer {
  return { name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
}

export function tensorInfo(name: string, elemType: DType, shape: Array<number | string | null>): ValueInfo {
  const type: TensorTypeInfo = { kind: 'tensor', elemType, shape };
  return { name, type };
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = [], name = `${opType}_${outputs[0]}`, domain = ''): Node {
  return { name, opType, domain, inputs, outputs, attributes };
}

export function ints(name: string, value: number[]): Attribute {
  return { name, value: { type: 'ints', value } };
}

export function int(name: string, value: number): Attribute {
  return { name, value: { type: 'int', value } };
}

export function float(name: string, value: number): Attribute {
  return { name, value: { type: 'float', value } };
}

export function buildModel(parts: { inputs: ValueInfo[]; outputs: ValueInfo[]; nodes: Node[]; initializers: Initializer[]; opset?: number }): Model {
  return {
    irVersion: 8,
    opsetImports: [
      { domain: '', version: parts.opset ?? 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: 'samclip-converter-tests',
    metadataProps: [],
    graph: { name: 'test', nodes: parts.nodes, initializers: parts.initializers, inputs: parts.inputs, outputs: parts.outputs, valueInfo: [] },
  };
}

export type FloatFeeds = Record<string, { dims: number[]; data: Float32Array }>;

export async function runOrt(model: Model | Uint8Array, feeds: FloatFeeds): Promise<Record<string, Float32Array>> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3 });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, value] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', value.data, value.dims);
    const results = await session.run(ortFeeds);
    const out: Record<string, Float32Array> = {};
    for (const [name, tensor] of Object.entries(results)) out[name] = Float32Array.from(tensor.data as Float32Array);
    return out;
  } finally {
    await session.release();
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

/** A deep copy, so a pass under test cannot alter the reference model. */
export function cloneModel(model: Model): Model {
  return structuredClone(model);
}

/**
 * A miniature of the SAM-CLIP encoder's structure: patch Conv, positional Add, LayerNorm,
 * attention-like MatMul/Softmax with a Shape-driven Reshape, an Erf GELU MLP, a LayerNorm2d
 * (ReduceMean/Pow/Sqrt), sin/cos positional features, and an embedding Gather.
 */
export function miniEncoder(opset = 17): { model: Model; feeds: FloatFeeds } {
  const d = 64;
  const tokens = 16;
  const inits: Initializer[] = [
    floatInit('patch_embed.proj.weight', [d, 3, 4, 4], 1, 0.2),
    floatInit('patch_embed.proj.bias', [d], 2),
    floatInit('pos_embed', [1, tokens, d], 3, 0.02),
    { name: 'ln.weight', dtype: 'float32', dims: [d], data: new Float32Array(d).fill(1) },
    floatInit('ln.bias', [d], 4, 0.01),
    floatInit('attn.q.weight', [d, d], 5),
    floatInit('attn.k.weight', [d, d], 6),
    floatInit('mlp.fc1.weight', [d, 4 * d], 7),
    floatInit('mlp.fc1.bias', [4 * d], 8, 0.01),
    floatInit('mlp.fc2.weight', [4 * d, d], 9),
    floatInit('head.weight', [d, 32], 10),
    floatInit('head.bias', [32], 11, 0.01),
    floatInit('pe.gaussian', [2, 8], 12, 1),
    floatInit('token_embedding.weight', [100, d], 13, 0.05),
    { name: 'eps', dtype: 'float32', dims: [], data: Float32Array.of(1e-6) },
    { name: 'two', dtype: 'float32', dims: [], data: Float32Array.of(2) },
    { name: 'inv_sqrt2', dtype: 'float32', dims: [], data: Float32Array.of(Math.SQRT1_2) },
    { name: 'one', dtype: 'float32', dims: [], data: Float32Array.of(1) },
    { name: 'half', dtype: 'float32', dims: [], data: Float32Array.of(0.5) },
    { name: 'scale', dtype: 'float32', dims: [], data: Float32Array.of(1 / 8) },
    { name: 'two_pi', dtype: 'float32', dims: [], data: Float32Array.of(2 * Math.PI) },
    int64Init('zero_index', [0]),
    int64Init('minus_one', [-1]),
    int64Init('token_ids', [1, 5, 7, 42, 99, 0, 3, 64]),
    floatInit('dead.weight', [d, d], 14),
    floatInit('attn.k.weight_copy', [d, d], 6),
  ];
  const nodes: Node[] = [
    node('Conv', ['pixel_values', 'patch_embed.proj.weight', 'patch_embed.proj.bias'], ['patches'], [ints('strides', [4, 4]), ints('kernel_shape', [4, 4])], '/patch_embed/proj/Conv'),
    node('Shape', ['patches'], ['patches_shape'], [], '/Shape'),
    node('Gather', ['patches_shape', 'zero_index'], ['batch'], [int('axis', 0)], '/Gather'),
    node('Concat', ['batch', 'minus_one', 'minus_one'], ['flat_shape_raw'], [int('axis', 0)], '/Concat'),
    node('Constant', [], ['d_const'], [{ name: 'value', value: { type: 'tensor', value: { name: 'd_const', dtype: 'int64', dims: [1], data: BigInt64Array.of(64n) } } }], '/Constant'),
    node('Concat', ['batch', 'd_const', 'minus_one'], ['flat_shape'], [int('axis', 0)], '/Concat_1'),
    node('Reshape', ['patches', 'flat_shape'], ['flat'], [], '/Reshape'),
    node('Transpose', ['flat'], ['tokens'], [ints('perm', [0, 2, 1])], '/Transpose'),
    node('Add', ['tokens', 'pos_embed'], ['x0'], [], '/Add_pos'),
    node('LayerNormalization', ['x0', 'ln.weight', 'ln.bias'], ['h'], [int('axis', -1), float('epsilon', 1e-5)], '/blocks.0/norm1/LayerNormalization'),
    node('MatMul', ['h', 'attn.q.weight'], ['q'], [], '/blocks.0/attn/q/MatMul'),
    node('MatMul', ['h', 'attn.k.weight_copy'], ['k'], [], '/blocks.0/attn/k/MatMul'),
    node('Transpose', ['k'], ['kt'], [ints('perm', [0, 2, 1])], '/blocks.0/attn/Transpose'),
    node('MatMul', ['q', 'kt'], ['scores_raw'], [], '/blocks.0/attn/MatMul'),
    node('Mul', ['scores_raw', 'scale'], ['scores'], [], '/blocks.0/attn/Mul'),
    node('Softmax', ['scores'], ['probs'], [int('axis', -1)], '/blocks.0/attn/Softmax'),
    node('MatMul', ['probs', 'h'], ['attended'], [], '/blocks.0/attn/MatMul_1'),
    node('Add', ['x0', 'attended'], ['x1'], [], '/blocks.0/Add'),
    node('MatMul', ['x1', 'mlp.fc1.weight'], ['fc1_raw'], [], '/blocks.0/mlp/fc1/MatMul'),
    node('Add', ['fc1_raw', 'mlp.fc1.bias'], ['fc1'], [], '/blocks.0/mlp/fc1/Add'),
    node('Mul', ['fc1', 'inv_sqrt2'], ['gelu_a'], [], '/blocks.0/mlp/act/Mul'),
    node('Erf', ['gelu_a'], ['gelu_b'], [], '/blocks.0/mlp/act/Erf'),
    node('Add', ['gelu_b', 'one'], ['gelu_c'], [], '/blocks.0/mlp/act/Add'),
    node('Mul', ['fc1', 'gelu_c'], ['gelu_d'], [], '/blocks.0/mlp/act/Mul_1'),
    node('Mul', ['gelu_d', 'half'], ['gelu'], [], '/blocks.0/mlp/act/Mul_2'),
    node('MatMul', ['gelu', 'mlp.fc2.weight'], ['fc2'], [], '/blocks.0/mlp/fc2/MatMul'),
    node('Add', ['x1', 'fc2'], ['x2a'], [], '/blocks.0/Add_1'),
    node('MatMul', ['x2a', 'attn.k.weight'], ['x2k'], [], '/blocks.1/proj/MatMul'),
    node('Add', ['x2a', 'x2k'], ['x2'], [], '/blocks.1/Add'),
    // LayerNorm2d as SAM's neck writes it.
    node('ReduceMean', ['x2'], ['mu'], [ints('axes', [-1]), int('keepdims', 1)], '/neck/ln/ReduceMean'),
    node('Sub', ['x2', 'mu'], ['centred'], [], '/neck/ln/Sub'),
    node('Pow', ['centred', 'two'], ['sq'], [], '/neck/ln/Pow'),
    node('ReduceMean', ['sq'], ['var'], [ints('axes', [-1]), int('keepdims', 1)], '/neck/ln/ReduceMean_1'),
    node('Add', ['var', 'eps'], ['var_eps'], [], '/neck/ln/Add'),
    node('Sqrt', ['var_eps'], ['std'], [], '/neck/ln/Sqrt'),
    node('Div', ['centred', 'std'], ['normed'], [], '/neck/ln/Div'),
    node('MatMul', ['normed', 'head.weight'], ['head_raw'], [], '/head/MatMul'),
    node('Add', ['head_raw', 'head.bias'], ['features'], [], '/head/Add'),
    // Positional sin/cos of the prompt coordinates.
    node('MatMul', ['coords', 'pe.gaussian'], ['pe_proj'], [], '/prompt/MatMul'),
    node('Mul', ['pe_proj', 'two_pi'], ['pe_angle'], [], '/prompt/Mul'),
    node('Sin', ['pe_angle'], ['pe_sin'], [], '/prompt/Sin'),
    node('Cos', ['pe_angle'], ['pe_cos'], [], '/prompt/Cos'),
    node('Concat', ['pe_sin', 'pe_cos'], ['prompt_pe'], [int('axis', -1)], '/prompt/Concat'),
    // Embedding lookup, as a text encoder's first op.
    node('Gather', ['token_embedding.weight', 'token_ids'], ['text_tokens'], [int('axis', 0)], '/text/token_embedding/Gather'),
    node('ReduceMean', ['text_tokens'], ['text_embeds'], [ints('axes', [0]), int('keepdims', 0)], '/text/ReduceMean'),
    node('MatMul', ['h', 'dead.weight'], ['unused'], [], '/dead/MatMul'),
  ];
  const model = buildModel({
    inputs: [tensorInfo('pixel_values', 'float32', [1, 3, 16, 16]), tensorInfo('coords', 'float32', [1, 5, 2])],
    outputs: [tensorInfo('features', 'float32', [1, tokens, 32]), tensorInfo('prompt_pe', 'float32', [1, 5, 16]), tensorInfo('text_embeds', 'float32', [d])],
    nodes,
    initializers: inits,
    opset,
  });
  const feeds: FloatFeeds = {
    pixel_values: { dims: [1, 3, 16, 16], data: randomFloats(3 * 16 * 16, 100, 1) },
    coords: { dims: [1, 5, 2], data: randomFloats(10, 101, 0.5) },
  };
  return { model, feeds };
}
