import { describe, expect, it } from 'vitest';
import { cloneModel, cosine, miniEncoder, runOrt } from '../test-utils/models.js';
import type { PassContext } from '../pipeline.js';
import { createNodeFilter } from '../exclusions.js';
import { constantFoldingPass } from './constant-folding.js';
import { deadNodeEliminationPass } from './dead-node-elimination.js';
import { initializerDedupPass } from './initializer-dedup.js';
import { broadcastShapes, inferTypes, matmulShape } from './shape-inference.js';

const context: PassContext = { exclusions: createNodeFilter() };

describe('shape inference', () => {
  it('types every value of the mini encoder with the shapes ONNX semantics give', () => {
    const { model } = miniEncoder();
    const types = inferTypes(model.graph);
    expect(types.get('patches')).toEqual({ kind: 'tensor', elemType: 'float32', shape: [1, 64, 4, 4] });
    expect(types.get('patches_shape')?.shape).toEqual([4]);
    expect(types.get('tokens')?.shape).toEqual([null, null, null]);
    expect(types.get('scores')?.shape).toEqual([null, 16, 16]);
    expect(types.get('fc1')?.shape).toEqual([null, 16, 256]);
    expect(types.get('var')?.shape).toEqual([null, 16, 1]);
    expect(types.get('prompt_pe')?.shape).toEqual([1, 5, 16]);
    expect(types.get('text_tokens')?.shape).toEqual([8, 64]);
    expect(types.get('text_embeds')?.shape).toEqual([64]);
    for (const node of model.graph.nodes) for (const output of node.outputs) expect(types.get(output)?.elemType, output).toBeDefined();
  });
});

describe('broadcasting with unknown dims', () => {
  it('keeps an unknown dim unknown instead of treating it as 1', () => {
    expect(broadcastShapes([[null, 6], []])).toEqual([null, 6]);
    expect(broadcastShapes([[null, 1, 4], [3, 1]])).toEqual([null, 3, 4]);
    expect(matmulShape([null, 6, 6, 64], [64, 192])).toEqual([null, 6, 6, 192]);
  });
});

describe('constant folding', () => {
  it('folds the Shape/Gather/Concat chain into a constant Reshape target and keeps outputs identical', async () => {
    const { model, feeds } = miniEncoder();
    const reference = await runOrt(model, feeds);
    const folded = cloneModel(model);
    const report = constantFoldingPass.run(folded, context);
    expect(report.changed).toBeGreaterThanOrEqual(5);
    const ops = folded.graph.nodes.map((n) => n.opType);
    expect(ops).not.toContain('Shape');
    expect(ops).not.toContain('Constant');
    const flatShape = folded.graph.initializers.find((i) => i.name === 'flat_shape');
    expect(Array.from(flatShape?.data as BigInt64Array, Number)).toEqual([1, 64, -1]);
    expect(inferTypes(folded.graph).get('tokens')?.shape).toEqual([1, 16, 64]);
    const result = await runOrt(folded, feeds);
    for (const name of Object.keys(reference)) expect(Array.from(result[name]!)).toEqual(Array.from(reference[name]!));
  });
});

describe('dead-node elimination and initializer dedup', () => {
  it('drops the unused branch and merges the duplicated weight without changing results', async () => {
    const { model, feeds } = miniEncoder();
    const reference = await runOrt(model, feeds);
    const cleaned = cloneModel(model);
    deadNodeEliminationPass.run(cleaned, context);
    expect(cleaned.graph.nodes.find((n) => n.name === '/dead/MatMul')).toBeUndefined();
    expect(cleaned.graph.initializers.find((i) => i.name === 'dead.weight')).toBeUndefined();
    const dedup = initializerDedupPass.run(cleaned, context);
    expect(dedup.changed).toBe(1);
    expect(cleaned.graph.initializers.find((i) => i.name === 'attn.k.weight_copy')).toBeUndefined();
    expect(cleaned.graph.nodes.find((n) => n.name === '/blocks.0/attn/k/MatMul')?.inputs[1]).toBe('attn.k.weight');
    const result = await runOrt(cleaned, feeds);
    for (const name of Object.keys(reference)) expect(cosine(result[name]!, reference[name]!)).toBe(1);
  });
});
