import { describe, expect, it } from 'vitest';
import type { Initializer, Model } from '@samclip/core';
import { buildModel, cloneModel, floatInit, ints, node, randomFloats, runOrt, tensorInfo } from '../test-utils/models.js';
import { fuseLayerNorm2d, layerNorm2dFusionPass } from './layernorm2d-fusion.js';
import { createNodeFilter } from '../exclusions.js';

const C = 8;
const H = 6;
const W = 10;

/** SAM's LayerNorm2d as torch.onnx exports it, between two convolutions, over an NCHW map. */
function layerNorm2dModel(options: { opset?: number; epsilon?: number; extraReader?: boolean } = {}): Model {
  const scalar = (name: string, value: number): Initializer => ({ name, dtype: 'float32', dims: [], data: Float32Array.of(value) });
  const channel = (name: string, seed: number): Initializer => ({ name, dtype: 'float32', dims: [C, 1, 1], data: randomFloats(C, seed, 0.5).map((v) => v + 1) });
  const nodes = [
    node('Conv', ['x', 'conv.weight', 'conv.bias'], ['h'], [ints('kernel_shape', [1, 1])]),
    node('ReduceMean', ['h'], ['u'], [ints('axes', [1])]),
    node('Sub', ['h', 'u'], ['d']),
    node('Pow', ['d', 'two'], ['p']),
    node('ReduceMean', ['p'], ['v'], [ints('axes', [1])]),
    node('Add', ['v', 'eps'], ['ve']),
    node('Sqrt', ['ve'], ['s']),
    node('Div', ['d', 's'], ['n']),
    node('Mul', ['ln.weight', 'n'], ['m']),
    node('Add', ['m', 'ln.bias'], ['y']),
    node('Relu', ['y'], ['out']),
  ];
  const outputs = [tensorInfo('out', 'float32', [1, C, H, W])];
  if (options.extraReader) {
    // The centred map is read outside the chain too: the chain must stay as it is.
    nodes.push(node('Neg', ['d'], ['centred']));
    outputs.push(tensorInfo('centred', 'float32', [1, C, H, W]));
  }
  return buildModel({
    inputs: [tensorInfo('x', 'float32', [1, 3, H, W])],
    outputs,
    nodes,
    initializers: [floatInit('conv.weight', [C, 3, 1, 1], 1, 0.7), floatInit('conv.bias', [C], 2, 0.3), scalar('two', 2), scalar('eps', options.epsilon ?? 1e-6), channel('ln.weight', 3), channel('ln.bias', 4)],
    ...(options.opset !== undefined ? { opset: options.opset } : {}),
  });
}

const feeds = { x: { dims: [1, 3, H, W], data: randomFloats(3 * H * W, 5) } };

describe('layernorm2d fusion', () => {
  it('rewrites the exported LayerNorm2d chain as Transpose + LayerNormalization + Transpose with the same results', async () => {
    const model = layerNorm2dModel({ epsilon: 1e-5 });
    const reference = await runOrt(model, feeds);
    const fused = cloneModel(model);
    const report = layerNorm2dFusionPass.run(fused, { exclusions: createNodeFilter() });
    expect(report.changed).toBe(1);
    expect(fused.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Transpose', 'LayerNormalization', 'Transpose', 'Relu']);
    const layerNorm = fused.graph.nodes.find((n) => n.opType === 'LayerNormalization')!;
    expect(layerNorm.attributes.find((a) => a.name === 'epsilon')?.value.value).toBeCloseTo(1e-5, 12);
    expect(fused.graph.initializers.find((i) => i.name === layerNorm.inputs[1])?.dims).toEqual([C]);
    const result = await runOrt(fused, feeds);
    let maxDiff = 0;
    for (let i = 0; i < reference.out!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference.out![i]! - result.out![i]!));
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...reference.out!)).toBeGreaterThan(0.5);
  });

  it('leaves chains it cannot prove equivalent alone', () => {
    // Before opset 17 there is no LayerNormalization in the default domain.
    expect(fuseLayerNorm2d(layerNorm2dModel({ opset: 13 }))).toBe(0);
    // An intermediate value read outside the chain must survive.
    expect(fuseLayerNorm2d(layerNorm2dModel({ extraReader: true }))).toBe(0);
    // A reduction over another axis is not a channel norm.
    const spatial = layerNorm2dModel();
    spatial.graph.nodes[1]!.attributes = [ints('axes', [2])];
    expect(fuseLayerNorm2d(spatial)).toBe(0);
    // A square is needed for the variance.
    const cube = layerNorm2dModel();
    (cube.graph.initializers.find((i) => i.name === 'two')!.data as Float32Array)[0] = 3;
    expect(fuseLayerNorm2d(cube)).toBe(0);
  });
});
