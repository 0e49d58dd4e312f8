import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { hasFloat16Arithmetic, upcastFloat16 } from './float16-upcast.js';
import { float32ToFloat16 } from './tensor.js';
import type { Graph, Model, Node, ValueInfo } from './types.js';

const value = (name: string, elemType: 'float32' | 'float16', shape: number[]): ValueInfo => ({ name, type: { kind: 'tensor', elemType, shape } });
const cast = (name: string, input: string, output: string, to: number): Node => ({ name, opType: 'Cast', domain: '', inputs: [input], outputs: [output], attributes: [{ name: 'to', value: { type: 'int', value: to } }] });
const op = (opType: string, inputs: string[], output: string): Node => ({ name: `${opType}_${output}`, opType, domain: '', inputs, outputs: [output], attributes: [] });

function model(graph: Omit<Graph, 'name' | 'valueInfo'>): Model {
  return { irVersion: 8, opsetImports: [{ domain: '', version: 17 }], producerName: 'test', metadataProps: [], graph: { name: 'g', valueInfo: [], ...graph } };
}

const weights = Float32Array.from({ length: 6 }, (_, i) => (i - 2.5) / 3);

/** What the converter's fp16 compute mode writes: float32 I/O, a float16 MatMul between casts, a float16 constant. */
function computeModel(): Model {
  return model({
    inputs: [value('x', 'float32', [1, 2])],
    outputs: [value('y', 'float32', [1, 3])],
    initializers: [{ name: 'w', dtype: 'float16', dims: [2, 3], data: float32ToFloat16(weights) }],
    nodes: [
      cast('x_half', 'x', 'xh', 10),
      op('MatMul', ['xh', 'w'], 'mh'),
      { name: 'bias', opType: 'Constant', domain: '', inputs: [], outputs: ['b'], attributes: [{ name: 'value', value: { type: 'tensor', value: { name: 'b', dtype: 'float16', dims: [3], data: float32ToFloat16([0.5, -0.25, 1]) } } }] },
      op('Add', ['mh', 'b'], 'yh'),
      cast('y_float', 'yh', 'y', 1),
    ],
  });
}

async function run(m: Model, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(encodeModel(m), { logSeverityLevel: 3 });
  try {
    return Object.values(await session.run(feeds))[0]!;
  } finally {
    await session.release();
  }
}

describe('upcastFloat16', () => {
  it('turns float16 arithmetic into float32 with the float16 weight values, the same I/O', async () => {
    const original = computeModel();
    const upcast = decodeModel(encodeModel(original));
    expect(hasFloat16Arithmetic(upcast)).toBe(true);
    expect(upcastFloat16(upcast)).toBe(3); // the initializer, the constant, the cast to float16
    expect(hasFloat16Arithmetic(upcast)).toBe(false);
    expect(upcast.graph.inputs).toEqual(original.graph.inputs);
    expect(upcast.graph.outputs).toEqual(original.graph.outputs);
    const x = new ort.Tensor('float32', Float32Array.of(0.75, -1.5), [1, 2]);
    const expected = await run(original, { x });
    const actual = await run(upcast, { x });
    // Same values up to float16 rounding of the original's intermediate results.
    const e = expected.data as Float32Array;
    const a = actual.data as Float32Array;
    for (let i = 0; i < 3; i++) expect(Math.abs(a[i]! - e[i]!)).toBeLessThan(2e-3);
  });

  it('keeps float16 graph inputs and outputs at the boundary, behind casts', async () => {
    const halfIo = model({
      inputs: [value('x', 'float16', [2])],
      outputs: [value('y', 'float16', [2])],
      initializers: [],
      nodes: [op('Add', ['x', 'x'], 'y')],
    });
    const upcast = decodeModel(encodeModel(halfIo));
    upcastFloat16(upcast);
    expect(upcast.graph.inputs[0]?.type).toEqual(halfIo.graph.inputs[0]?.type);
    expect(upcast.graph.outputs[0]?.type).toEqual(halfIo.graph.outputs[0]?.type);
    expect(upcast.graph.nodes.map((n) => n.opType)).toEqual(['Cast', 'Add', 'Cast']);
    const y = await run(upcast, { x: new ort.Tensor('float16', float32ToFloat16([1.5, -2]), [2]) });
    expect(y.type).toBe('float16');
    expect(Array.from(y.data as Uint16Array)).toEqual(Array.from(float32ToFloat16([3, -4])));
  });

  it('leaves a model without float16 alone', () => {
    const plain = model({ inputs: [value('x', 'float32', [2])], outputs: [value('y', 'float32', [2])], initializers: [], nodes: [op('Add', ['x', 'x'], 'y')] });
    expect(hasFloat16Arithmetic(plain)).toBe(false);
    expect(upcastFloat16(plain)).toBe(0);
  });
});
