import * as tf from '@tensorflow/tfjs-core';
import { createTensor, isSamClipError } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { describe, expect, it } from 'vitest';
import { TfjsBackend } from './backend.js';
import { nodeWasmPaths } from './node.js';
import type { TfjsSession } from './session.js';
import { init, int, ints, io, modelBytes, node, randomTensor } from './test-utils/model.js';

const engines = ['cpu', 'wasm'] as const;

/** Conv → Relu → Conv with a Shape → Gather → Concat → Reshape tail: exercises layout, folding and int64 shape math. */
function convNet(): Uint8Array {
  return modelBytes({
    inputs: [io('x', 'float32', [1, 3, 8, 8])],
    outputs: [io('y', 'float32', [1, 4, 64]), io('shape', 'int64', [3])],
    initializers: [
      init('w1', randomTensor([4, 3, 3, 3], 2)),
      init('b1', randomTensor([4], 3)),
      init('w2', randomTensor([4, 4, 3, 3], 4)),
      init('zero', createTensor('int64', [1], [0n])),
      init('two', createTensor('int64', [1], [2n])),
      init('tail', createTensor('int64', [1], [-1n])),
    ],
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: ints([1, 1, 1, 1]) }),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], { pads: ints([1, 1, 1, 1]) }),
      node('Shape', ['c2'], ['s']),
      node('Slice', ['s', 'zero', 'two'], ['s01']),
      node('Concat', ['s01', 'tail'], ['shape'], { axis: int(0) }),
      node('Slice', ['s', 'zero', 'tail'], ['unused']),
      node('Reshape', ['c2', 'shape'], ['y']),
    ],
  });
}

/** The same network computed directly with tfjs ops (NCHW via explicit transposes). */
function convNetReference(x: Tensor): Float32Array {
  return tf.tidy(() => {
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
    const conv = (input: tf.Tensor4D, w: Tensor) => tf.conv2d(input, tf.transpose(tf.tensor(w.data as Float32Array, w.dims as [number, number, number, number]), [2, 3, 1, 0]) as tf.Tensor4D, 1, pad);
    const nhwc = tf.transpose(tf.tensor(x.data as Float32Array, x.dims as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;
    const r1 = tf.relu(tf.add(conv(nhwc, randomTensor([4, 3, 3, 3], 2)), tf.tensor1d(randomTensor([4], 3).data))) as tf.Tensor4D;
    const c2 = conv(r1, randomTensor([4, 4, 3, 3], 4));
    return tf.reshape(tf.transpose(c2, [0, 3, 1, 2]), [1, 4, 64]).dataSync() as Float32Array;
  });
}

describe.each(engines)('TfjsSession on tfjs-%s', (engine) => {
  const backend = new TfjsBackend(engine, { wasmPaths: nodeWasmPaths() });

  it('folds shape arithmetic, cancels layout transposes and matches a direct tfjs computation', async () => {
    const session = (await backend.createSession(convNet())) as TfjsSession;
    // Shape → Slice → Concat fold to a constant; only Transpose, ConvNHWC, Relu, ConvNHWC, Transpose, Reshape remain.
    expect(session.stats.folded).toBeGreaterThanOrEqual(5);
    expect(session.stats.transposesRemoved).toBeGreaterThanOrEqual(2);
    expect(session.stats.steps).toBe(6);
    const x = randomTensor([1, 3, 8, 8], 7);
    const out = await session.run({ x });
    const y = out['y'] as Tensor;
    expect(y.dims).toEqual([1, 4, 64]);
    const expected = convNetReference(x);
    const got = y.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - expected[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    const shape = out['shape'] as Tensor;
    expect(shape.dtype).toBe('int64');
    expect(shape.data).toEqual(BigInt64Array.from([1n, 4n, -1n]));
    await session.dispose();
  });

  it('leaks no engine tensors over 100 runs and frees its constants on dispose', async () => {
    await backend.init();
    await backend.activate();
    const before = tf.memory().numTensors;
    const session = await backend.createSession(convNet());
    const x = randomTensor([1, 3, 8, 8], 9);
    await session.run({ x });
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await session.run({ x });
    expect(tf.memory().numTensors).toBe(afterFirst);
    await session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('returns int64 outputs as BigInt64Array and computes int64 inputs as int32', async () => {
    const session = await backend.createSession(
      modelBytes({
        inputs: [io('a', 'int64', [3]), io('b', 'int64', [3])],
        outputs: [io('sum', 'int64', [3])],
        nodes: [node('Add', ['a', 'b'], ['sum'])],
      }),
    );
    const out = await session.run({ a: createTensor('int64', [3], [1n, -2n, 3n]), b: createTensor('int64', [3], [10n, 20n, 2147483600n]) });
    expect((out['sum'] as Tensor).data).toEqual(BigInt64Array.from([11n, 18n, 2147483603n]));
    await expect(session.run({ a: createTensor('int64', [3], [2n ** 40n, 0n, 0n]), b: createTensor('int64', [3], [0n, 0n, 0n]) })).rejects.toSatisfy((e) => isSamClipError(e, 'UNSUPPORTED'));
    await session.dispose();
  });

  it('fails at load on an unsupported op, naming the op, the node and the backends that can run it', async () => {
    const bytes = modelBytes({
      inputs: [io('x', 'float32', [2])],
      outputs: [io('y', 'float32', [2])],
      nodes: [node('Relu', ['x'], ['r']), { ...node('FancyOp', ['r'], ['y']), name: 'fancy_1' }],
    });
    const error = await backend.createSession(bytes).catch((e: unknown) => e);
    expect(isSamClipError(error, 'UNSUPPORTED_OP')).toBe(true);
    expect((error as Error).message).toContain('FancyOp');
    expect((error as Error).message).toContain('fancy_1');
    expect((error as Error).message).toContain('ort-node, ort-wasm');
  });

  it('accepts any shape for an input declared without one (unknown rank), as the SDK\'s staged decoder declares its prefix values', async () => {
    const session = await backend.createSession(
      modelBytes({
        inputs: [{ name: 'x', type: { kind: 'tensor', elemType: 'float32' } }],
        outputs: [{ name: 'y', type: { kind: 'tensor', elemType: 'float32' } }],
        nodes: [node('Relu', ['x'], ['y'])],
      }),
    );
    for (const dims of [[1, 2, 3], [4], []]) {
      const x = randomTensor(dims, 7);
      const out = (await session.run({ x })).y as Tensor<'float32'>;
      expect(out.dims).toEqual(dims);
      expect(Array.from(out.data)).toEqual(Array.from(x.data, (v) => Math.max(v, 0)));
    }
    await session.dispose();
  });

  it('rejects feeds whose shape contradicts the static shape the plan was compiled for', async () => {
    const session = await backend.createSession(convNet());
    await expect(session.run({ x: randomTensor([1, 3, 4, 4]) })).rejects.toSatisfy((e) => isSamClipError(e, 'SHAPE'));
    await session.dispose();
  });
});
