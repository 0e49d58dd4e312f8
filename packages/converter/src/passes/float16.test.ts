import { describe, expect, it } from 'vitest';
import { encodeModel } from '@samclip/core';
import { buildModel, cloneModel, cosine, floatInit, int64Init, miniEncoder, node, runOrt, tensorInfo } from '../test-utils/models.js';
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

  it('compute mode: If branches that read converted outer values by name get a float32 cast (the text encoder\'s EOT squeeze)', async () => {
    // What torch exports for `x.squeeze(0)` on a dynamic batch: an If whose branches read the
    // outer value directly, with float32 declared as their output type.
    const branch = (name: string, nodes: ReturnType<typeof node>[], output: string) => ({
      name,
      nodes,
      initializers: [],
      inputs: [],
      outputs: [tensorInfo(output, 'float32', [null])],
      valueInfo: [],
    });
    const model = buildModel({
      inputs: [tensorInfo('x', 'float32', [1, 8])],
      outputs: [tensorInfo('y', 'float32', [4])],
      initializers: [floatInit('w1', [8, 8], 1), floatInit('w2', [8, 4], 2), int64Init('zero', [0]), int64Init('one', [1])],
      nodes: [
        node('MatMul', ['x', 'w1'], ['h']),
        node('Shape', ['h'], ['h_shape']),
        node('Gather', ['h_shape', 'zero'], ['batch']),
        node('Equal', ['batch', 'one'], ['is_single']),
        node('If', ['is_single'], ['picked'], [
          { name: 'then_branch', value: { type: 'graph', value: branch('then', [node('Squeeze', ['h', 'zero'], ['squeezed'])], 'squeezed') } },
          { name: 'else_branch', value: { type: 'graph', value: branch('else', [node('Identity', ['h'], ['same'])], 'same') } },
        ]),
        node('MatMul', ['picked', 'w2'], ['y']),
      ],
    });
    const feeds = { x: { dims: [1, 8], data: Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)) } };
    const reference = await runOrt(model, feeds);
    const converted = cloneModel(model);
    createFloat16Pass({ mode: 'compute' }).run(converted, { exclusions: createNodeFilter({ defaults: false }) });
    const types = inferTypes(converted.graph);
    const ifNode = converted.graph.nodes.find((n) => n.opType === 'If')!;
    const then = ifNode.attributes.find((a) => a.name === 'then_branch')!.value;
    const read = then.type === 'graph' ? then.value.nodes[0]!.inputs[0]! : '';
    expect(read).not.toBe('h');
    expect(types.get(read)?.elemType).toBe('float32');
    expect(types.get('h')?.elemType).toBe('float16');
    const result = await runOrt(converted, feeds);
    expect(cosine(result['y']!, reference['y']!)).toBeGreaterThan(0.999);
  });
});
