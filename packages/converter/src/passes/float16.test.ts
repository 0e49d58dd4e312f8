import { describe, expect, it } from 'vitest';
import { encodeModel } from '@samclip/core';
import { cloneModel, cosine, miniEncoder, runOrt } from '../test-utils/models.js';
import { convertModel } from '../convert-model.js';
import { createNodeFilter } from '../exclusions.js';
import { createFloat16Pass } from './float16.js';
import { castCleanupPass } from './cast-cleanup.js';
import { inferTypes } from './shape-inference.js';

describe('float16 pass', () => {
  it('compute mode: float16 arithmetic, float32 I/O, sensitive ops behind casts, numerically close on ORT', async () => {
    const { model, feeds } = miniEncoder();
    const reference = await runOrt(model, feeds);
    const converted = cloneModel(model);
    createFloat16Pass({ mode: 'compute' }).run(converted, { exclusions: createNodeFilter({ defaults: false }) });
    castCleanupPass.run(converted, { exclusions: createNodeFilter() });
    const types = inferTypes(converted.graph);
    expect(converted.graph.inputs.map((i) => i.type)).toEqual(model.graph.inputs.map((i) => i.type));
    for (const output of converted.graph.outputs) expect(types.get(output.name)?.elemType).toBe('float32');
    const byName = (name: string) => converted.graph.nodes.find((n) => n.name === name)!;
    expect(types.get(byName('/blocks.0/mlp/fc1/MatMul').outputs[0]!)?.elemType).toBe('float16');
    for (const sensitive of ['/blocks.0/attn/Softmax', '/blocks.0/norm1/LayerNormalization', '/neck/ln/Sqrt', '/neck/ln/ReduceMean', '/prompt/Sin']) {
      const node = byName(sensitive);
      for (const input of node.inputs) if (input) expect(types.get(input)?.elemType, `${sensitive} reads ${input}`).not.toBe('float16');
    }
    // The positional projection feeding sin/cos stays float32 as well.
    expect(types.get(byName('/prompt/Mul').outputs[0]!)?.elemType).toBe('float32');
    // No cast pair that returns a value to its own type survives the clean-up.
    for (const cast of converted.graph.nodes.filter((n) => n.opType === 'Cast')) {
      const producer = converted.graph.nodes.find((n) => n.outputs.includes(cast.inputs[0]!));
      if (producer?.opType === 'Cast') expect(types.get(producer.inputs[0]!)?.elemType).not.toBe(types.get(cast.outputs[0]!)?.elemType);
    }
    const result = await runOrt(converted, feeds);
    for (const name of Object.keys(reference)) expect(cosine(result[name]!, reference[name]!), name).toBeGreaterThan(0.999);
  });

  it('storage mode halves the weights and keeps float32 arithmetic', async () => {
    const { model, feeds } = miniEncoder();
    const reference = await runOrt(model, feeds);
    const converted = cloneModel(model);
    convertModel(converted, { to: 'fp16', target: 'ort-node' });
    const original = encodeModel(model).length;
    const size = encodeModel(converted).length;
    expect(size).toBeLessThan(original * 0.56);
    const result = await runOrt(converted, feeds);
    for (const name of Object.keys(reference)) expect(cosine(result[name]!, reference[name]!), name).toBeGreaterThan(0.9999);
  });

  it('clamps constants beyond the float16 range instead of producing infinities', () => {
    const { model } = miniEncoder();
    const converted = cloneModel(model);
    const bias = converted.graph.initializers.find((i) => i.name === 'head.bias')!;
    (bias.data as Float32Array)[0] = -1e9;
    createFloat16Pass({ mode: 'compute' }).run(converted, { exclusions: createNodeFilter({ defaults: false }) });
    const half = converted.graph.initializers.find((i) => i.name === 'head.bias_fp16')!;
    expect((half.data as Uint16Array)[0]).toBe(0xfbff);
  });
});
