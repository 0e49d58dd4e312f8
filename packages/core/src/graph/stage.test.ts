import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { bindInputs, splitAtInputs } from './stage.js';
import { createTensor } from './tensor.js';
import type { Graph, Initializer, Model, Node, ValueInfo } from './types.js';

const float = (name: string, shape: number[]): ValueInfo => ({ name, type: { kind: 'tensor', elemType: 'float32', shape } });
const op = (opType: string, inputs: string[], output: string, attributes: Node['attributes'] = []): Node => ({ name: `${opType}_${output}`, opType, domain: '', inputs, outputs: [output], attributes });
const constant = (output: string, value: Initializer): Node => ({ name: `Constant_${output}`, opType: 'Constant', domain: '', inputs: [], outputs: [output], attributes: [{ name: 'value', value: { type: 'tensor', value } }] });
const branch = (name: string, nodes: Node[], output: string): Graph => ({ name, nodes, initializers: [], inputs: [], outputs: [float(output, [2, 3])], valueInfo: [] });

/**
 * img (per image), mask_flag (0 or 1, like has_mask_input) and p (per call):
 * src = If(mask_flag[0] != 0) { img · 2 } else { img + bias }; out = reshape(relu(src) · p, shape(img)) + src + 0.5.
 */
function stagedExample(): Model {
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'test',
    metadataProps: [],
    graph: {
      name: 'g',
      inputs: [float('img', [2, 3]), float('mask_flag', [1]), float('p', [2, 3])],
      outputs: [float('out', [2, 3])],
      valueInfo: [],
      initializers: [
        { name: 'bias', dtype: 'float32', dims: [3], data: Float32Array.of(1, -2, 0.5) },
        { name: 'first', dtype: 'int64', dims: [], data: BigInt64Array.of(0n) },
      ],
      nodes: [
        op('Gather', ['mask_flag', 'first'], 'flag', [{ name: 'axis', value: { type: 'int', value: 0 } }]),
        constant('zero', { name: 'zero', dtype: 'float32', dims: [], data: Float32Array.of(0) }),
        op('Equal', ['flag', 'zero'], 'no_mask'),
        op('Not', ['no_mask'], 'has_mask'),
        {
          name: 'If_src',
          opType: 'If',
          domain: '',
          inputs: ['has_mask'],
          outputs: ['src'],
          attributes: [
            { name: 'then_branch', value: { type: 'graph', value: branch('then', [constant('two', { name: 'two', dtype: 'float32', dims: [], data: Float32Array.of(2) }), op('Mul', ['img', 'two'], 'doubled')], 'doubled') } },
            { name: 'else_branch', value: { type: 'graph', value: branch('else', [op('Add', ['img', 'bias'], 'shifted')], 'shifted') } },
          ],
        },
        op('Relu', ['src'], 'r'),
        op('Shape', ['img'], 'img_shape'),
        op('Mul', ['r', 'p'], 'y'),
        op('Flatten', ['y'], 'flat'),
        op('Reshape', ['flat', 'img_shape'], 'y2'),
        op('Add', ['y2', 'src'], 'sum'),
        constant('half', { name: 'half', dtype: 'float32', dims: [], data: Float32Array.of(0.5) }),
        op('Add', ['sum', 'half'], 'out'),
      ],
    },
  };
}

const img = new ort.Tensor('float32', Float32Array.of(-3, -1, 0, 0.5, 2, 4), [2, 3]);
const p = new ort.Tensor('float32', Float32Array.of(1, 2, 3, -1, -2, -3), [2, 3]);
const flag = (value: number): ort.Tensor => new ort.Tensor('float32', Float32Array.of(value), [1]);

async function withSession<T>(model: Model, use: (session: ort.InferenceSession) => Promise<T>): Promise<T> {
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  try {
    return await use(session);
  } finally {
    await session.release();
  }
}

const run = (model: Model, feeds: Record<string, ort.Tensor>): Promise<Float32Array> => withSession(model, async (s) => (await s.run(feeds)).out!.data as Float32Array);

describe('bindInputs', () => {
  it.each([0, 1])('binds mask_flag = %i, folds the If onto the branch it takes and computes the same', async (value) => {
    const model = decodeModel(encodeModel(stagedExample()));
    expect(bindInputs(model, { mask_flag: createTensor('float32', [1], [value]) })).toBe(1);
    expect(model.graph.nodes.map((n) => n.opType)).not.toContain('If');
    // The condition's chain is gone, and so is the branch not taken.
    expect(model.graph.nodes.map((n) => n.opType)).not.toContain('Equal');
    expect(model.graph.nodes.map((n) => n.opType)).toContain(value ? 'Mul' : 'Add');
    expect(model.graph.inputs.map((i) => i.name)).toEqual(['img', 'p']);
    expect(await run(model, { img, p })).toEqual(await run(stagedExample(), { img, p, mask_flag: flag(value) }));
  });

  it('leaves an If whose condition depends on a runtime input', () => {
    const model = stagedExample();
    expect(bindInputs(model, {})).toBe(0);
    expect(model.graph.nodes.filter((n) => n.opType === 'If')).toHaveLength(1);
  });
});

describe('splitAtInputs', () => {
  it('puts the image-only work in the prefix and runs prefix then suffix to the same result', async () => {
    const model = stagedExample();
    bindInputs(model, { mask_flag: createTensor('float32', [1], [0]) });
    const split = splitAtInputs(model, ['p'])!;
    expect(split).toBeDefined();
    // Values the suffix reads from the prefix, in the order it first reads them; the shape crosses as int64.
    expect(split.boundary).toEqual(['r', 'img_shape', 'src']);
    expect(split.prefix.graph.outputs.map((o) => [o.name, o.type])).toEqual([
      ['r', { kind: 'tensor', elemType: 'float32' }],
      ['img_shape', { kind: 'tensor', elemType: 'int64' }],
      ['src', { kind: 'tensor', elemType: 'float32' }],
    ]);
    expect(split.prefix.graph.inputs.map((i) => i.name)).toEqual(['img']);
    expect(split.suffix.graph.inputs.map((i) => i.name)).toEqual(['p', 'r', 'img_shape', 'src']);
    // The constant the suffix needs is built in the suffix, not passed across.
    expect(split.suffix.graph.nodes.map((n) => n.opType)).toEqual(['Mul', 'Flatten', 'Reshape', 'Add', 'Constant', 'Add']);
    expect(split.prefix.graph.nodes.map((n) => n.opType)).toEqual(['Add', 'Relu', 'Shape']);

    const prefix = await withSession(split.prefix, (s) => s.run({ img }));
    const staged = await withSession(split.suffix, async (s) => (await s.run({ p, ...prefix })).out!.data as Float32Array);
    expect(staged).toEqual(await run(stagedExample(), { img, p, mask_flag: flag(0) }));
  });

  it('keeps per-call inputs declared in the suffix even when it no longer reads them', () => {
    const model = stagedExample();
    model.graph.inputs.push(float('unused_prompt', [1]));
    bindInputs(model, { mask_flag: createTensor('float32', [1], [0]) });
    expect(splitAtInputs(model, ['p', 'unused_prompt'])!.suffix.graph.inputs.map((i) => i.name)).toContain('unused_prompt');
  });

  it('declines when nothing is independent of the per-call inputs, or an output would come from the prefix', () => {
    const model = stagedExample();
    bindInputs(model, { mask_flag: createTensor('float32', [1], [0]) });
    expect(splitAtInputs(model, ['img', 'p'])).toBeUndefined();
    const prefixOutput = stagedExample();
    bindInputs(prefixOutput, { mask_flag: createTensor('float32', [1], [0]) });
    prefixOutput.graph.outputs.push(float('r', [2, 3]));
    expect(splitAtInputs(prefixOutput, ['p'])).toBeUndefined();
  });

  it('treats the outer-scope reads of an unfolded If as reads', () => {
    const model = stagedExample();
    // mask_flag stays a runtime input: the If reads img from its branches, so it must follow mask_flag.
    const split = splitAtInputs(model, ['mask_flag', 'p'])!;
    expect(split.suffix.graph.nodes.map((n) => n.opType)).toContain('If');
    expect(split.suffix.graph.inputs.map((i) => i.name)).toContain('img');
  });
});
