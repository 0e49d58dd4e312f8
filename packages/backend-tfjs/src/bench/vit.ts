/**
 * A ViT-B/16 image encoder (patch embedding, pre-norm transformer blocks with global attention,
 * erf GELU) with seeded random weights, built directly in the graph IR: the benchmark's workload,
 * shaped like the backbone graphs samclip exports.
 */
import { encodeModel } from '@samclip/core';
import type { Attribute, Initializer, Node } from '@samclip/core';

export interface VitConfig {
  imageSize: number;
  patchSize: number;
  dim: number;
  depth: number;
  heads: number;
  mlpDim: number;
}

export const VIT_B_16: Omit<VitConfig, 'imageSize'> = { patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072 };

export function buildVitEncoder(config: VitConfig, seed = 1): Uint8Array {
  const { imageSize, patchSize, dim, depth, heads, mlpDim } = config;
  const grid = imageSize / patchSize;
  const tokens = grid * grid;
  const headDim = dim / heads;
  let state = seed;
  const initializers: Initializer[] = [];
  const nodes: Node[] = [];
  const weight = (name: string, dims: number[], scale = 0.02): string => {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      data[i] = (state / 4294967296 - 0.5) * 2 * scale;
    }
    initializers.push({ name, dtype: 'float32', dims, data });
    return name;
  };
  const ints = (name: string, values: number[]): string => {
    initializers.push({ name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  };
  const filled = (name: string, n: number, value: number) => {
    initializers.push({ name, dtype: 'float32', dims: [n], data: new Float32Array(n).fill(value) });
    return name;
  };
  let counter = 0;
  const op = (opType: string, inputs: string[], attributes: Record<string, Attribute['value']> = {}, output?: string): string => {
    const out = output ?? `${opType.toLowerCase()}_${counter++}`;
    nodes.push({ name: out, opType, domain: '', inputs, outputs: [out], attributes: Object.entries(attributes).map(([name, value]) => ({ name, value })) });
    return out;
  };
  const intsAttr = (value: number[]): Attribute['value'] => ({ type: 'ints', value });
  const layerNorm = (x: string, prefix: string) => op('LayerNormalization', [x, filled(`${prefix}.weight`, dim, 1), weight(`${prefix}.bias`, [dim])], { axis: { type: 'int', value: -1 }, epsilon: { type: 'float', value: 1e-6 } });
  const linear = (x: string, prefix: string, inDim: number, outDim: number) => op('Add', [op('MatMul', [x, weight(`${prefix}.weight`, [inDim, outDim])]), weight(`${prefix}.bias`, [outDim])]);

  const patches = op('Conv', ['pixel_values', weight('patch.weight', [dim, 3, patchSize, patchSize]), weight('patch.bias', [dim])], { strides: intsAttr([patchSize, patchSize]) });
  let x = op('Add', [op('Transpose', [op('Reshape', [patches, ints('patch.shape', [1, dim, tokens])])], { perm: intsAttr([0, 2, 1]) }), weight('pos_embed', [1, tokens, dim])]);
  const qkvShape = ints('qkv.shape', [1, tokens, 3, heads, headDim]);
  const mergeShape = ints('merge.shape', [1, tokens, dim]);
  const scale = filled('attn.scale', 1, 1 / Math.sqrt(headDim));
  const half = filled('gelu.half', 1, 0.5);
  const sqrt2 = filled('gelu.sqrt2', 1, Math.SQRT2);
  const one = filled('gelu.one', 1, 1);
  const squeezeAxes = ints('squeeze.axes', [0]);
  for (let b = 0; b < depth; b++) {
    const p = `blocks.${b}`;
    const qkv = op('Transpose', [op('Reshape', [linear(layerNorm(x, `${p}.norm1`), `${p}.qkv`, dim, 3 * dim), qkvShape])], { perm: intsAttr([2, 0, 3, 1, 4]) });
    const [q, k, v] = [0, 1, 2].map((i) => op('Squeeze', [op('Gather', [qkv, ints(`${p}.index${i}`, [i])], { axis: { type: 'int', value: 0 } }), squeezeAxes]));
    const scores = op('Softmax', [op('Mul', [op('MatMul', [q!, op('Transpose', [k!], { perm: intsAttr([0, 1, 3, 2]) })]), scale])], { axis: { type: 'int', value: -1 } });
    const attended = op('Reshape', [op('Transpose', [op('MatMul', [scores, v!])], { perm: intsAttr([0, 2, 1, 3]) }), mergeShape]);
    x = op('Add', [x, linear(attended, `${p}.proj`, dim, dim)]);
    const hidden = linear(layerNorm(x, `${p}.norm2`), `${p}.fc1`, dim, mlpDim);
    const gelu = op('Mul', [op('Mul', [hidden, op('Add', [op('Erf', [op('Div', [hidden, sqrt2])]), one])]), half]);
    x = op('Add', [x, linear(gelu, `${p}.fc2`, mlpDim, dim)]);
  }
  op('Reshape', [layerNorm(x, 'neck.norm'), ints('out.shape', [1, grid, grid, dim])], {}, 'backbone_features');
  return encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    metadataProps: [],
    graph: {
      name: 'vit_b_16',
      nodes,
      initializers,
      inputs: [{ name: 'pixel_values', type: { kind: 'tensor', elemType: 'float32', shape: [1, 3, imageSize, imageSize] } }],
      outputs: [{ name: 'backbone_features', type: { kind: 'tensor', elemType: 'float32', shape: [1, grid, grid, dim] } }],
      valueInfo: [],
    },
  });
}
