import { describe, expect, it } from 'vitest';
import { encodeModel } from '@samclip/core';
import type { Model } from '@samclip/core';
import { buildModel, cloneModel, cosine, floatInit, miniEncoder, node, randomFloats, runOrt, tensorInfo } from '../test-utils/models.js';
import type { FloatFeeds } from '../test-utils/models.js';
import { createNodeFilter } from '../exclusions.js';
import type { PassContext } from '../pipeline.js';
import { createInt4Pass } from './int4-block.js';
import type { Int4Format } from './int4-block.js';
import { createInt8DynamicPass } from './int8-dynamic.js';
import { createInt8QdqPass } from './int8-qdq.js';
import { inferTypes } from './shape-inference.js';

const context: PassContext = { exclusions: createNodeFilter() };

/** Two linear layers of realistic width, with a Gemm (transB) head, for quantization accuracy. */
function mlp(opset = 17): { model: Model; feeds: FloatFeeds } {
  const model = buildModel({
    opset,
    inputs: [tensorInfo('x', 'float32', [1, 'tokens', 256])],
    outputs: [tensorInfo('y', 'float32', [1, 'tokens', 200]), tensorInfo('z', 'float32', [4, 48])],
    initializers: [floatInit('fc1.weight', [256, 512], 1, 0.05), floatInit('fc2.weight', [512, 200], 2, 0.05), floatInit('head.weight', [48, 256], 3, 0.05), floatInit('head.bias', [48], 4)],
    nodes: [
      node('MatMul', ['x', 'fc1.weight'], ['h'], [], '/fc1/MatMul'),
      node('Relu', ['h'], ['a'], [], '/act/Relu'),
      node('MatMul', ['a', 'fc2.weight'], ['y'], [], '/fc2/MatMul'),
      node('Reshape', ['x', 'pooled_shape'], ['pooled'], [], '/head/Reshape'),
      node('Gemm', ['pooled', 'head.weight', 'head.bias'], ['z'], [{ name: 'transB', value: { type: 'int', value: 1 } }], '/head/Gemm'),
    ],
  });
  model.graph.initializers.push({ name: 'pooled_shape', dtype: 'int64', dims: [2], data: BigInt64Array.of(-1n, 256n) });
  return { model, feeds: { x: { dims: [1, 4, 256], data: randomFloats(1024, 9, 1) } } };
}

async function compare(original: Model, converted: Model, feeds: FloatFeeds): Promise<Record<string, number>> {
  const [a, b] = await Promise.all([runOrt(original, feeds), runOrt(converted, feeds)]);
  return Object.fromEntries(Object.keys(a).map((name) => [name, cosine(a[name]!, b[name]!)]));
}

describe('int8 dynamic pass', () => {
  it('emits DynamicQuantizeLinear + MatMulInteger with int8 per-column weights that ORT runs close to fp32', async () => {
    const { model, feeds } = mlp();
    const converted = cloneModel(model);
    const report = createInt8DynamicPass().run(converted, context);
    expect(report.changed).toBe(3);
    const ops = converted.graph.nodes.map((n) => n.opType);
    expect(ops.filter((op) => op === 'MatMulInteger')).toHaveLength(3);
    // fc1 and the Gemm read x, but through different producers (Reshape), so two activations are quantized; fc2 a third.
    expect(ops.filter((op) => op === 'DynamicQuantizeLinear')).toHaveLength(3);
    const weight = converted.graph.initializers.find((i) => i.name === 'fc1.weight_quantized')!;
    expect(weight.dtype).toBe('int8');
    expect(converted.graph.initializers.find((i) => i.name === 'fc1.weight_scale')!.dims).toEqual([512]);
    const types = inferTypes(converted.graph);
    const dq = converted.graph.nodes.find((n) => n.opType === 'DynamicQuantizeLinear')!;
    expect(types.get(dq.outputs[0]!)?.elemType).toBe('uint8');
    for (const [name, value] of Object.entries(await compare(model, converted, feeds))) expect(value, name).toBeGreaterThan(0.999);
    expect(encodeModel(converted).length).toBeLessThan(encodeModel(model).length * 0.27);
  });

  it('rewrites Conv through ConvInteger and embeddings as int8 rows when asked', async () => {
    const { model, feeds } = miniEncoder();
    const converted = cloneModel(model);
    createInt8DynamicPass({ conv: true }).run(converted, { exclusions: createNodeFilter({ defaults: false }) });
    const ops = converted.graph.nodes.map((n) => n.opType);
    expect(ops).toContain('ConvInteger');
    expect(converted.graph.initializers.find((i) => i.name === 'token_embedding.weight_int8')?.dtype).toBe('int8');
    for (const [name, value] of Object.entries(await compare(model, converted, feeds))) expect(value, name).toBeGreaterThan(0.99);
  });

  it('leaves excluded nodes (the patch embedding by default) in float', () => {
    const { model } = miniEncoder();
    const converted = cloneModel(model);
    const report = createInt8DynamicPass({ conv: true }).run(converted, context);
    expect(converted.graph.nodes.find((n) => n.name === '/patch_embed/proj/Conv')?.opType).toBe('Conv');
    expect(report.notes?.some((n) => n.includes('/patch_embed/proj/Conv') && n.includes('patch_embed'))).toBe(true);
  });
});

describe('int8 QDQ weight-only pass', () => {
  it('stores int8 weights with per-output-channel scales behind DequantizeLinear(axis)', async () => {
    const { model, feeds } = mlp();
    const converted = cloneModel(model);
    createInt8QdqPass().run(converted, context);
    const dqs = converted.graph.nodes.filter((n) => n.opType === 'DequantizeLinear');
    expect(dqs).toHaveLength(3);
    const axisOf = (weight: string) => dqs.find((n) => n.inputs[0] === `${weight}_quantized`)!.attributes.find((a) => a.name === 'axis')!.value;
    expect(axisOf('fc1.weight')).toEqual({ type: 'int', value: 1 });
    expect(axisOf('head.weight')).toEqual({ type: 'int', value: 0 });
    expect(converted.graph.nodes.map((n) => n.opType)).toContain('MatMul');
    for (const [name, value] of Object.entries(await compare(model, converted, feeds))) expect(value, name).toBeGreaterThan(0.999);
    expect(encodeModel(converted).length).toBeLessThan(encodeModel(model).length * 0.27);
  });

  it('quantizes Conv per output channel and keeps the mini encoder close', async () => {
    const { model, feeds } = miniEncoder();
    const converted = cloneModel(model);
    createInt8QdqPass().run(converted, { exclusions: createNodeFilter({ defaults: false }) });
    expect(converted.graph.nodes.find((n) => n.opType === 'Conv')!.inputs[1]).toBe('patch_embed.proj.weight_dequantized');
    for (const [name, value] of Object.entries(await compare(model, converted, feeds))) expect(value, name).toBeGreaterThan(0.995);
  });
});

describe('int4 block pass', () => {
  const cases: Array<{ format: Int4Format; opset: number; op: string }> = [
    { format: 'matmulnbits', opset: 17, op: 'MatMulNBits' },
    { format: 'unpack', opset: 17, op: 'Floor' },
    { format: 'dq-blocked', opset: 21, op: 'DequantizeLinear' },
  ];
  for (const { format, opset, op } of cases) {
    it(`${format}: runs on ORT with cosine ≥ 0.99 and at most 17% of the fp32 bytes`, async () => {
      const { model, feeds } = mlp(opset);
      const converted = cloneModel(model);
      const report = createInt4Pass({ format, blockSize: 32 }).run(converted, context);
      expect(report.changed).toBe(3);
      expect(converted.graph.nodes.map((n) => n.opType)).toContain(op);
      for (const [name, value] of Object.entries(await compare(model, converted, feeds))) expect(value, name).toBeGreaterThan(0.99);
      expect(encodeModel(converted).length).toBeLessThan(encodeModel(model).length * 0.17);
    });
  }

  it('matmulnbits handles K that is not a multiple of the block size', async () => {
    const model = buildModel({
      inputs: [tensorInfo('x', 'float32', [2, 3, 80])],
      outputs: [tensorInfo('y', 'float32', [2, 3, 24])],
      initializers: [floatInit('w', [80, 24], 5, 0.1)],
      nodes: [node('MatMul', ['x', 'w'], ['y'], [], '/MatMul')],
    });
    const feeds = { x: { dims: [2, 3, 80], data: randomFloats(480, 6, 1) } };
    for (const format of ['matmulnbits', 'unpack'] as const) {
      const converted = cloneModel(model);
      createInt4Pass({ format, blockSize: 32, minElements: 1 }).run(converted, context);
      expect((await compare(model, converted, feeds)).y).toBeGreaterThan(0.99);
    }
  });

  it('stores embedding tables as int4 rows and unpacks only the gathered rows', async () => {
    const model = buildModel({
      inputs: [tensorInfo('ids', 'int64', [2, 5])],
      outputs: [tensorInfo('embedded', 'float32', [2, 5, 100])],
      initializers: [floatInit('token_embedding.weight', [300, 100], 7, 0.5)],
      nodes: [node('Gather', ['token_embedding.weight', 'ids'], ['embedded'], [], '/token_embedding/Gather')],
    });
    const converted = cloneModel(model);
    createInt4Pass({ format: 'unpack', blockSize: 32 }).run(converted, context);
    const packed = converted.graph.initializers.find((i) => i.name === 'token_embedding.weight_int4_packed')!;
    expect(packed.dims).toEqual([300, 64]);
    const ids = BigInt64Array.from([0, 5, 299, 17, 3, 42, 8, 100, 200, 1], BigInt);
    const run = async (m: Model) => {
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(encodeModel(m), { logSeverityLevel: 3 });
      const out = (await session.run({ ids: new ort.Tensor('int64', ids, [2, 5]) }))['embedded']!;
      await session.release();
      return { dims: out.dims, data: out.data as Float32Array };
    };
    const [a, b] = await Promise.all([run(model), run(converted)]);
    expect(b.dims).toEqual([2, 5, 100]);
    expect(cosine(a.data, b.data)).toBeGreaterThan(0.99);
  });

  it('refuses blocked DequantizeLinear below opset 21', () => {
    const { model } = mlp(17);
    expect(() => createInt4Pass({ format: 'dq-blocked' }).run(model, context)).toThrow(/opset 21/);
  });
});

describe('static calibration', () => {
  it('uses calibrated constant activation scales (QuantizeLinear) and stays close to fp32', async () => {
    const { registerTestBackends } = await import('../test-utils/backends.js');
    const { calibrateActivationRanges } = await import('../calibration.js');
    await registerTestBackends();
    const { model, feeds } = mlp();
    const x = feeds['x']!;
    const sample = { x: { dtype: 'float32' as const, dims: x.dims, data: x.data } };
    const ranges = await calibrateActivationRanges(model, [sample], 'ort-node');
    expect(Object.keys(ranges).sort()).toEqual(['a', 'pooled', 'x']);
    expect(ranges['a']!.min).toBe(0);
    const converted = cloneModel(model);
    createInt8DynamicPass({ activationRanges: ranges }).run(converted, context);
    const ops = converted.graph.nodes.map((n) => n.opType);
    expect(ops).not.toContain('DynamicQuantizeLinear');
    expect(ops.filter((op) => op === 'QuantizeLinear')).toHaveLength(3);
    for (const [name, value] of Object.entries(await compare(model, converted, feeds))) expect(value, name).toBeGreaterThan(0.999);
  });
});
