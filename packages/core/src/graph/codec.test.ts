import { describe, expect, it } from 'vitest';
import { isSamClipError } from '../errors.js';
import { decodeModel, decodeTensor, encodeModel, encodeTensor } from './codec.js';
import { onnxMessageTypes } from './onnx-schema.js';
import {
  collectExternalDataLocations,
  findInitializer,
  findValueInfo,
  getAttribute,
  getAttributeValue,
  getFloatAttribute,
  getIntAttribute,
  getIntsAttribute,
  getStringAttribute,
  runtimeInputs,
} from './query.js';
import { createTensor, packInt4 } from './tensor.js';
import type { Graph, Model } from './types.js';

function expectCode(fn: () => unknown, code: Parameters<typeof isSamClipError>[1], mentions?: string): void {
  try {
    fn();
  } catch (error) {
    expect(isSamClipError(error, code), `expected SamClipError ${code}, got ${String(error)}`).toBe(true);
    if (mentions) expect((error as Error).message).toContain(mentions);
    return;
  }
  throw new Error(`expected SamClipError ${code}, but nothing was thrown`);
}

/** A TensorProto written straight from protobufjs, to exercise the spec's typed data fields. */
function tensorProtoBytes(message: Record<string, unknown>): Uint8Array {
  return onnxMessageTypes().tensor.encode(message).finish();
}

const thenBranch: Graph = {
  name: 'then',
  nodes: [{ name: 'c', opType: 'Constant', domain: '', inputs: [], outputs: ['t'], attributes: [] }],
  initializers: [{ name: 'inner', dtype: 'float32', dims: [1], external: { location: 'nested.bin', offset: 0, length: 4 } }],
  inputs: [],
  outputs: [{ name: 't', type: { kind: 'tensor', elemType: 'float32', shape: [1] } }],
  valueInfo: [],
};

/** A model touching every IR feature the codec maps. */
function richModel(): Model {
  return {
    irVersion: 10,
    opsetImports: [
      { domain: '', version: 21 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producerName: 'samclip-test',
    producerVersion: '1.0',
    domain: 'ai.samclip',
    modelVersion: 3,
    docString: 'round trip',
    metadataProps: [{ key: 'k', value: 'v' }],
    functions: [new Uint8Array([10, 3, 102, 111, 111])],
    trainingInfo: [new Uint8Array([10, 0])],
    graph: {
      name: 'main',
      docString: 'graph doc',
      nodes: [
        {
          name: 'everything',
          opType: 'Custom',
          domain: 'com.microsoft',
          inputs: ['x', '', 'w'],
          outputs: ['y'],
          docString: 'node doc',
          overload: 'o1',
          metadataProps: [{ key: 'm', value: 'n' }],
          attributes: [
            { name: 'f', value: { type: 'float', value: 0.5 } },
            { name: 'i', value: { type: 'int', value: -7 } },
            { name: 'big', value: { type: 'int', value: -(2n ** 62n) } },
            { name: 's', value: { type: 'string', value: 'grüße ✓' }, docString: 'attr doc' },
            { name: 't', value: { type: 'tensor', value: { name: 'const', dtype: 'int64', dims: [2], data: new BigInt64Array([1n, -(2n ** 60n)]) } } },
            { name: 'g', value: { type: 'graph', value: thenBranch } },
            { name: 'fs', value: { type: 'floats', value: [1.5, -2.25] } },
            { name: 'is', value: { type: 'ints', value: [1, -2, 2n ** 60n] } },
            { name: 'ss', value: { type: 'strings', value: ['a', ''] } },
            { name: 'ts', value: { type: 'tensors', value: [{ name: '', dtype: 'string', dims: [2], data: ['x', 'yz'] }] } },
            { name: 'gs', value: { type: 'graphs', value: [thenBranch] } },
            { name: 'tp', value: { type: 'type_proto', value: { kind: 'sequence', elemType: { kind: 'tensor', elemType: 'uint8' } } } },
            { name: 'sp', value: { type: 'sparse_tensor', value: new Uint8Array([10, 0, 18, 0]) } },
            { name: 'ref', value: { type: 'int', value: 0 }, refAttrName: 'outer' },
            { name: 'empty_ints', value: { type: 'ints', value: [] } },
          ],
        },
      ],
      initializers: [
        { name: 'w', dtype: 'float32', dims: [2, 2], data: new Float32Array([1, -2, 3.5, NaN]), docString: 'weights' },
        { name: 'h', dtype: 'float16', dims: [3], data: new Uint16Array([0x3c00, 0x7c00, 0x0001]) },
        { name: 'bf', dtype: 'bfloat16', dims: [1], data: new Uint16Array([0x3f80]) },
        { name: 'd', dtype: 'float64', dims: [1], data: new Float64Array([Math.PI]) },
        { name: 'i8', dtype: 'int8', dims: [2], data: new Int8Array([-128, 127]) },
        { name: 'u8', dtype: 'uint8', dims: [1], data: new Uint8Array([255]) },
        { name: 'i16', dtype: 'int16', dims: [1], data: new Int16Array([-300]) },
        { name: 'u16', dtype: 'uint16', dims: [1], data: new Uint16Array([65535]) },
        { name: 'i32', dtype: 'int32', dims: [1], data: new Int32Array([-(2 ** 31)]) },
        { name: 'u32', dtype: 'uint32', dims: [1], data: new Uint32Array([2 ** 32 - 1]) },
        { name: 'i64', dtype: 'int64', dims: [1], data: new BigInt64Array([-(2n ** 63n)]) },
        { name: 'u64', dtype: 'uint64', dims: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
        { name: 'b', dtype: 'bool', dims: [2], data: new Uint8Array([1, 0]) },
        { name: 'str', dtype: 'string', dims: [], data: ['scalar ✓'] },
        { name: 'q4', dtype: 'int4', dims: [3], data: packInt4([-8, 7, 1]) },
        { name: 'u4', dtype: 'uint4', dims: [1, 1], data: new Uint8Array([0x0f]) },
        { name: 'none', dtype: 'float32', dims: [0, 3], data: new Float32Array(0) },
        {
          name: 'ext',
          dtype: 'float32',
          dims: [1024],
          external: { location: 'weights/model.bin', offset: 4096, length: 4096, checksum: 'abc' },
          metadataProps: [{ key: 'origin', value: 'export' }],
        },
        { name: 'seg', dtype: 'int32', dims: [10], data: new Int32Array([5, 6]), segment: { begin: 4, end: 6 } },
      ],
      inputs: [
        { name: 'x', type: { kind: 'tensor', elemType: 'float32', shape: [1, 'N', null, 3] }, docString: 'input doc' },
        { name: 'w', type: { kind: 'tensor', elemType: 'float32', shape: [2, 2] } },
        { name: 'opt', type: { kind: 'optional', elemType: { kind: 'tensor', elemType: 'int64' } } },
      ],
      outputs: [
        { name: 'y', type: { kind: 'tensor', elemType: 'float32' }, metadataProps: [{ key: 'a', value: 'b' }] },
        { name: 'm', type: { kind: 'map', keyType: 'int64', valueType: { kind: 'tensor', elemType: 'float32', shape: [] } } },
      ],
      valueInfo: [
        { name: 'untyped' },
        { name: 'sparse', type: { kind: 'sparse_tensor', elemType: 'float32', shape: [4, 4] } },
      ],
      sparseInitializers: [new Uint8Array([26, 1, 4])],
      quantizationAnnotations: [new Uint8Array([10, 1, 120])],
      metadataProps: [{ key: 'gk', value: 'gv' }],
    },
  };
}

describe('encodeModel / decodeModel', () => {
  it('round-trips every IR feature', () => {
    const model = richModel();
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes);
    expect(decoded).toEqual(model);
    expect(encodeModel(decoded)).toEqual(bytes);
  });

  it('decodes a Node Buffer to the same model', () => {
    const model = richModel();
    expect(decodeModel(Buffer.from(encodeModel(model)))).toEqual(model);
  });

  it('returns a plain Uint8Array and shares aligned weight memory with the input', () => {
    const bytes = encodeModel(richModel());
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    const decoded = decodeModel(bytes);
    const w = findInitializer(decoded.graph, 'w')?.data as Float32Array;
    const i8 = findInitializer(decoded.graph, 'i8')?.data as Int8Array;
    expect(i8.buffer).toBe(bytes.buffer);
    if (w.byteOffset % 4 === 0) expect(w.buffer).toBe(bytes.buffer);
  });

  it('rejects bytes that are not an ONNX model', () => {
    expectCode(() => decodeModel(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 'MODEL_DECODE');
    expectCode(() => decodeModel(new Uint8Array(0)), 'MODEL_DECODE', 'no ONNX graph');
    expectCode(() => decodeModel('model.onnx' as unknown as Uint8Array), 'INVALID_ARGUMENT');
  });

  it('names a tensor whose raw_data has the wrong size', () => {
    const model = richModel();
    const bytes = encodeModel({
      ...model,
      graph: { ...model.graph, initializers: [{ name: 'w', dtype: 'float32', dims: [2, 2], data: new Float32Array(4) }] },
    });
    // Patch dims [2,2] → [2,3] in place: the packed dims field of the initializer is the only "0a 02 02 02" run.
    const patched = Buffer.from(bytes);
    const at = patched.indexOf(Buffer.from([0x0a, 0x02, 0x02, 0x02]));
    expect(at).toBeGreaterThanOrEqual(0);
    patched[at + 3] = 3;
    expectCode(() => decodeModel(new Uint8Array(patched)), 'MODEL_DECODE', '"w"');
  });

  it('refuses to encode data that does not fit its shape or dtype', () => {
    const model = richModel();
    const broken = (init: Model['graph']['initializers'][number]): Model => ({ ...model, graph: { ...model.graph, initializers: [init] } });
    expectCode(() => encodeModel(broken({ name: 'w', dtype: 'float32', dims: [3], data: new Float32Array(2) })), 'MODEL_ENCODE', '"w"');
    expectCode(() => encodeModel(broken({ name: 'w', dtype: 'float32', dims: [2], data: new Int32Array(2) })), 'MODEL_ENCODE');
    expectCode(() => encodeModel(broken({ name: 'w', dtype: 'float32', dims: [2] })), 'MODEL_ENCODE');
    expectCode(() => encodeModel({ ...model, irVersion: 1.5 }), 'MODEL_ENCODE');
  });

  it('infers the type of IR v1 attributes that lack one', () => {
    const nodeBytes = {
      irVersion: 3,
      graph: {
        node: [
          {
            opType: 'Old',
            attribute: [
              { name: 'i', i: 4 },
              { name: 'fs', floats: [1, 2] },
              { name: 's', s: new TextEncoder().encode('x') },
            ],
          },
        ],
      },
    };
    const decoded = decodeModel(onnxMessageTypes().model.encode(nodeBytes).finish());
    const node = decoded.graph.nodes[0]!;
    expect(node.attributes.map((attribute) => attribute.value)).toEqual([
      { type: 'int', value: 4 },
      { type: 'floats', value: [1, 2] },
      { type: 'string', value: 'x' },
    ]);
  });

  it('fills in the length of external data that omits it and reports unsupported dtypes', () => {
    const message = {
      irVersion: 8,
      graph: {
        initializer: [
          {
            name: 'e',
            dataType: 10,
            dims: [3, 5],
            dataLocation: 1,
            externalData: [{ key: 'location', value: 'w.bin' }],
          },
        ],
      },
    };
    const decoded = decodeModel(onnxMessageTypes().model.encode(message).finish());
    expect(decoded.graph.initializers[0]?.external).toEqual({ location: 'w.bin', offset: 0, length: 30 });

    const float8 = { irVersion: 9, graph: { initializer: [{ name: 'f8', dataType: 17, dims: [1], rawData: new Uint8Array(1) }] } };
    expectCode(() => decodeModel(onnxMessageTypes().model.encode(float8).finish()), 'MODEL_DECODE', 'data type 17');
  });
});

describe('decodeTensor / encodeTensor', () => {
  it('round-trips a standalone tensor as little-endian raw_data', () => {
    const bytes = encodeTensor('pixel_values', createTensor('float32', [1, 2], [1, -0]));
    expect(Buffer.from(bytes).includes(Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x80]))).toBe(true);
    const { name, tensor } = decodeTensor(bytes);
    expect(name).toBe('pixel_values');
    expect(tensor).toEqual({ dtype: 'float32', dims: [1, 2], data: new Float32Array([1, -0]) });
  });

  it('decodes raw_data at an unaligned offset', () => {
    // A long name shifts raw_data to an odd offset inside the message.
    const bytes = encodeTensor('odd', createTensor('int32', [3], [7, -8, 2 ** 30]));
    const decoded = decodeTensor(bytes).tensor.data as Int32Array;
    expect([...decoded]).toEqual([7, -8, 2 ** 30]);
  });

  it.each([
    ['float32 in float_data', { dataType: 1, dims: [3], floatData: [1.5, -2, Infinity] }, new Float32Array([1.5, -2, Infinity])],
    ['float64 in double_data', { dataType: 11, dims: [2], doubleData: [Math.PI, -0.1] }, new Float64Array([Math.PI, -0.1])],
    ['int8 in int32_data', { dataType: 3, dims: [3], int32Data: [-128, 0, 127] }, new Int8Array([-128, 0, 127])],
    ['uint8 in int32_data', { dataType: 2, dims: [2], int32Data: [0, 255] }, new Uint8Array([0, 255])],
    ['int16 in int32_data', { dataType: 5, dims: [2], int32Data: [-32768, 32767] }, new Int16Array([-32768, 32767])],
    ['uint16 in int32_data', { dataType: 4, dims: [1], int32Data: [65535] }, new Uint16Array([65535])],
    ['int32 in int32_data', { dataType: 6, dims: [2], int32Data: [-(2 ** 31), 2 ** 31 - 1] }, new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
    ['bool in int32_data', { dataType: 9, dims: [3], int32Data: [1, 0, 1] }, new Uint8Array([1, 0, 1])],
    ['float16 bits in int32_data', { dataType: 10, dims: [2], int32Data: [0x3c00, 0xfc00] }, new Uint16Array([0x3c00, 0xfc00])],
    ['bfloat16 bits in int32_data', { dataType: 16, dims: [1], int32Data: [0x3f80] }, new Uint16Array([0x3f80])],
    ['int4 packed bytes in int32_data', { dataType: 22, dims: [3], int32Data: [0x7f, 0x01] }, new Uint8Array([0x7f, 0x01])],
    ['int64 in int64_data', { dataType: 7, dims: [3], int64Data: [-1, 2 ** 40, '-9223372036854775808'] }, new BigInt64Array([-1n, 2n ** 40n, -(2n ** 63n)])],
    ['uint32 in uint64_data', { dataType: 12, dims: [1], uint64Data: [4294967295] }, new Uint32Array([4294967295])],
    ['uint64 in uint64_data', { dataType: 13, dims: [1], uint64Data: ['18446744073709551615'] }, new BigUint64Array([2n ** 64n - 1n])],
  ])('reads %s', (_label, message, expected) => {
    const { tensor } = decodeTensor(tensorProtoBytes({ name: 'x', ...message }));
    expect(tensor.data).toEqual(expected);
  });

  it('reads string tensors from string_data and writes them back', () => {
    const encoder = new TextEncoder();
    const { tensor } = decodeTensor(tensorProtoBytes({ dataType: 8, dims: [2], stringData: [encoder.encode('ä'), encoder.encode('')] }));
    expect(tensor).toEqual({ dtype: 'string', dims: [2], data: ['ä', ''] });
    expect(decodeTensor(encodeTensor('s', tensor)).tensor).toEqual(tensor);
  });

  it('rejects typed fields whose count contradicts the shape, and external data', () => {
    expectCode(() => decodeTensor(tensorProtoBytes({ name: 'short', dataType: 1, dims: [3], floatData: [1] })), 'MODEL_DECODE', '"short"');
    expectCode(
      () => decodeTensor(tensorProtoBytes({ name: 'far', dataType: 1, dims: [1], dataLocation: 1, externalData: [{ key: 'location', value: 'x.bin' }] })),
      'MODEL_DECODE',
      'x.bin',
    );
  });
});

describe('graph queries', () => {
  const model = richModel();
  const node = model.graph.nodes[0]!;

  it('reads attributes by name and type', () => {
    expect(getAttribute(node, 'f')?.value).toEqual({ type: 'float', value: 0.5 });
    expect(getIntAttribute(node, 'i')).toBe(-7);
    expect(getIntAttribute(node, 'missing', 9)).toBe(9);
    expect(getIntsAttribute(node, 'missing')).toBeUndefined();
    expect(getFloatAttribute(node, 'f')).toBe(0.5);
    expect(getStringAttribute(node, 's')).toBe('grüße ✓');
    expect(getAttributeValue(node, 'fs', 'floats')).toEqual([1.5, -2.25]);
    expect(getAttributeValue(node, 'g', 'graph')?.name).toBe('then');
    expectCode(() => getIntAttribute(node, 'f'), 'MODEL_DECODE', '"f"');
    expectCode(() => getIntAttribute(node, 'big'), 'MODEL_DECODE');
    expectCode(() => getIntsAttribute(node, 'is'), 'MODEL_DECODE');
  });

  it('finds initializers, value infos and runtime inputs', () => {
    expect(findInitializer(model.graph, 'w')?.dims).toEqual([2, 2]);
    expect(findValueInfo(model.graph, 'x')?.docString).toBe('input doc');
    expect(findValueInfo(model.graph, 'sparse')?.type?.kind).toBe('sparse_tensor');
    expect(runtimeInputs(model.graph).map((input) => input.name)).toEqual(['x', 'opt']);
  });

  it('collects external data locations from every graph, once each', () => {
    expect(collectExternalDataLocations(model)).toEqual(['weights/model.bin', 'nested.bin']);
  });
});
