/**
 * The engine-specific lowerings (per-batch XNNPACK products, rank-reduced transposes, heap-copied
 * slices) must compute exactly what the plain tfjs ops compute, on tfjs-wasm where they apply and
 * on tfjs-cpu where they fall through.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createTensor } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { describe, expect, it } from 'vitest';
import { TfjsBackend } from '../backend.js';
import { nodeWasmPaths } from '../node.js';
import type { TfjsSession } from '../session.js';
import { init, int, io, modelBytes, node, randomTensor } from '../test-utils/model.js';
import { engineMatMul } from './matmul-util.js';
import { isContiguousSlice, sliceFast } from './slice-util.js';
import { canonicalTranspose, transposeFast } from './transpose-util.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** numpy matmul by plain loops, for operands already broadcast to [batch, M, K] and [batch, K, N]. */
function referenceBatchMatMul(a: ArrayLike<number>, b: ArrayLike<number>, batch: number, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[(t * m + i) * k + p]! * b[(t * k + p) * n + j]!;
      out[(t * m + i) * n + j] = s;
    }
  }
  return out;
}

/** Row-major strides-based broadcast of `data` (shape `from`) to shape `to` (same rank). */
function broadcastData(data: ArrayLike<number>, from: readonly number[], to: readonly number[]): Float32Array {
  const out = new Float32Array(to.reduce((x, d) => x * d, 1));
  const strides = from.map((_, i) => from.slice(i + 1).reduce((x, d) => x * d, 1));
  for (let flat = 0; flat < out.length; flat++) {
    let rest = flat;
    let src = 0;
    for (let axis = to.length - 1; axis >= 0; axis--) {
      const coord = rest % to[axis]!;
      rest = Math.floor(rest / to[axis]!);
      if (from[axis] !== 1) src += coord * strides[axis]!;
    }
    out[flat] = data[src]!;
  }
  return out;
}

describe('canonicalTranspose', () => {
  it('drops size-1 axes and merges axes that stay adjacent', () => {
    expect(canonicalTranspose([2, 3, 4, 5], [0, 1, 3, 2])).toEqual({ shape: [6, 4, 5], perm: [0, 2, 1] });
    expect(canonicalTranspose([1, 4096, 3, 12, 64], [2, 0, 3, 1, 4])).toEqual({ shape: [4096, 36, 64], perm: [1, 0, 2] });
    expect(canonicalTranspose([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
  });

  it('keeps the SAM window partition at rank 5 (no two axes stay adjacent)', () => {
    expect(canonicalTranspose([25, 196, 3, 12, 64], [2, 0, 3, 1, 4])).toEqual({ shape: [25, 196, 3, 12, 64], perm: [2, 0, 3, 1, 4] });
  });

  it('reports which slices are one contiguous run', () => {
    expect(isContiguousSlice([3, 4, 5], [1, 0, 0], [1, 4, 5])).toBe(true);
    expect(isContiguousSlice([1, 70, 70, 8], [0, 0, 0, 0], [1, 64, 70, 8])).toBe(true);
    expect(isContiguousSlice([1, 64, 70, 8], [0, 0, 0, 0], [1, 64, 64, 8])).toBe(false);
    expect(isContiguousSlice([3, 4, 5], [1, 2, 0], [1, 1, 5])).toBe(true);
  });
});

describe.each(['cpu', 'wasm'] as const)('engine lowerings on tfjs-%s', (engine) => {
  const backend = new TfjsBackend(engine, { wasmPaths: nodeWasmPaths() });

  it('transposeFast equals tf.transpose for rank 5 and 6 permutations', async () => {
    await backend.init();
    await backend.activate();
    const cases: Array<[number[], number[]]> = [
      [[5, 6, 3, 4, 7], [2, 0, 3, 1, 4]],
      [[2, 3, 4, 5, 6, 2], [5, 3, 1, 4, 0, 2]],
      [[3, 1, 4, 2, 5], [4, 2, 0, 3, 1]],
      [[2, 3, 4, 5], [0, 1, 3, 2]],
    ];
    for (const [shape, perm] of cases) {
      const x = tf.tensor(randomTensor(shape, shape.length).data, shape);
      const [fast, plain] = [transposeFast(x, perm), tf.transpose(x, perm)];
      expect(fast.shape).toEqual(plain.shape);
      expect(maxAbsDiff(fast.dataSync(), plain.dataSync())).toBe(0);
      tf.dispose([x, fast, plain]);
    }
  });

  it('sliceFast equals tf.slice for contiguous, strided-block and full slices', async () => {
    await backend.init();
    await backend.activate();
    const x = tf.tensor(randomTensor([3, 4, 5, 6], 3).data, [3, 4, 5, 6]);
    const cases: Array<[number[], number[]]> = [
      [[1, 0, 0, 0], [2, 4, 5, 6]],
      [[2, 1, 0, 0], [1, 2, 5, 6]],
      [[0, 1, 2, 1], [3, 2, 3, 4]],
      [[0, 0, 0, 0], [3, 4, 5, 6]],
    ];
    for (const [begin, size] of cases) {
      const [fast, plain] = [sliceFast(x, begin, size), tf.slice(x, begin, size)];
      expect(fast.shape).toEqual(plain.shape);
      expect(maxAbsDiff(fast.dataSync(), plain.dataSync())).toBe(0);
      tf.dispose([fast, plain]);
    }
    const ints = tf.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const part = sliceFast(ints, [1, 0], [2, 2]);
    expect(part.dtype).toBe('int32');
    expect(Array.from(part.dataSync())).toEqual([3, 4, 5, 6]);
    tf.dispose([x, ints, part]);
  });

  it('engineMatMul matches loops for batched, broadcast and transposed operands', async () => {
    await backend.init();
    await backend.activate();
    const [batch, m, k, n] = [3, 4, 5, 6];
    const a = randomTensor([batch, m, k], 1);
    const b = randomTensor([batch, k, n], 2);
    const expected = referenceBatchMatMul(a.data, b.data, batch, m, k, n);
    const at = tf.tensor3d(a.data, [batch, m, k]);
    const bt = tf.tensor3d(b.data, [batch, k, n]);
    const plain = engineMatMul(at, bt);
    const transposed = engineMatMul(tf.transpose(at, [0, 2, 1]), tf.transpose(bt, [0, 2, 1]), true, true);
    expect(maxAbsDiff(plain.dataSync(), expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(transposed.dataSync(), expected)).toBeLessThan(1e-5);
    // One shared right matrix against every left batch.
    const shared = engineMatMul(at, tf.tensor3d(b.data.slice(0, k * n), [1, k, n]));
    expect(maxAbsDiff(shared.dataSync(), referenceBatchMatMul(a.data, broadcastData(b.data.slice(0, k * n), [1, k, n], [batch, k, n]), batch, m, k, n))).toBeLessThan(1e-5);
    tf.dispose([at, bt, plain, transposed, shared]);
  });

  it.each([
    { a: [3, 2, 4, 5], b: [2, 5, 6], label: 'rows × heads against a per-row table (SAM relative positions)' },
    { a: [2, 1, 4, 5], b: [3, 5, 6], label: 'left operand broadcast over the right batch' },
    { a: [2, 3, 4, 5], b: [2, 3, 5, 6], label: 'equal batches' },
    { a: [2, 3, 4, 5], b: [5, 6], label: '2-D weights' },
    { a: [4, 5], b: [2, 5, 6], label: '2-D left operand' },
  ])('MatMul node: $label', async ({ a, b }) => {
    const bRank = b.length;
    const batch = [...(a.length > b.length ? a : b).slice(0, -2)].map((_, i, all) => {
      const pick = (s: number[]) => s[s.length - 2 - all.length + i] ?? 1;
      return Math.max(pick(a), pick(b));
    });
    const [m, k, n] = [a[a.length - 2]!, a[a.length - 1]!, b[bRank - 1]!];
    const session = (await backend.createSession(
      modelBytes({
        inputs: [io('a', 'float32', a), io('b', 'float32', b)],
        outputs: [io('y', 'float32', [...batch, m, n])],
        nodes: [node('MatMul', ['a', 'b'], ['y'])],
      }),
    )) as TfjsSession;
    const ta = randomTensor(a, 4);
    const tb = randomTensor(b, 5);
    const y = (await session.run({ a: ta, b: tb }))['y'] as Tensor;
    expect(y.dims).toEqual([...batch, m, n]);
    const lift = (s: number[]) => [...new Array<number>(batch.length + 2 - s.length).fill(1), ...s];
    const count = batch.reduce((x, d) => x * d, 1);
    const fullA = broadcastData(ta.data, lift(a), [...batch, m, k]);
    const fullB = broadcastData(tb.data, lift(b), [...batch, k, n]);
    expect(maxAbsDiff(y.data as Float32Array, referenceBatchMatMul(fullA, fullB, count, m, k, n))).toBeLessThan(1e-5);
    await session.dispose();
  });

  it('Gemm with transposed operands matches loops', async () => {
    const [m, k, n] = [4, 5, 3];
    const session = await backend.createSession(
      modelBytes({
        inputs: [io('a', 'float32', [k, m]), io('b', 'float32', [n, k])],
        outputs: [io('y', 'float32', [m, n])],
        nodes: [node('Gemm', ['a', 'b'], ['y'], { transA: int(1), transB: int(1) })],
      }),
    );
    const a = randomTensor([k, m], 6);
    const b = randomTensor([n, k], 7);
    const y = (await session.run({ a, b }))['y'] as Tensor;
    const aT = new Float32Array(m * k);
    const bT = new Float32Array(k * n);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) aT[i * k + p] = a.data[p * m + i]!;
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bT[p * n + j] = b.data[j * k + p]!;
    expect(maxAbsDiff(y.data as Float32Array, referenceBatchMatMul(aT, bT, 1, m, k, n))).toBeLessThan(1e-5);
    await session.dispose();
  });

  it('Split and Slice on the leading axis return the right parts', async () => {
    const session = await backend.createSession(
      modelBytes({
        inputs: [io('x', 'float32', [3, 2, 4])],
        outputs: [io('p0', 'float32', [1, 2, 4]), io('p1', 'float32', [2, 2, 4]), io('tail', 'float32', [3, 2, 2])],
        initializers: [
          init('sizes', createTensor('int64', [2], [1n, 2n])),
          init('starts', createTensor('int64', [1], [2n])),
          init('ends', createTensor('int64', [1], [4n])),
          init('axes', createTensor('int64', [1], [2n])),
        ],
        nodes: [node('Split', ['x', 'sizes'], ['p0', 'p1'], { axis: int(0) }), node('Slice', ['x', 'starts', 'ends', 'axes'], ['tail'])],
      }),
    );
    const x = createTensor('float32', [3, 2, 4], Float32Array.from({ length: 24 }, (_, i) => i));
    const out = await session.run({ x });
    expect(Array.from((out['p0'] as Tensor).data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from((out['p1'] as Tensor).data as Float32Array)).toEqual(Array.from({ length: 16 }, (_, i) => i + 8));
    expect(Array.from((out['tail'] as Tensor).data as Float32Array)).toEqual([2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23]);
    await session.dispose();
  });

  it('infers Pad output shapes, so shape arithmetic after a Pad folds at compile time', async () => {
    const session = (await backend.createSession(
      modelBytes({
        inputs: [io('x', 'float32', [1, 5, 5, 2])],
        outputs: [io('y', 'float32', [1, 7, 7, 2]), io('s', 'int64', [4])],
        initializers: [init('pads', createTensor('int64', [8], [0n, 0n, 0n, 0n, 0n, 2n, 2n, 0n]))],
        nodes: [node('Pad', ['x', 'pads'], ['y']), node('Shape', ['y'], ['s'])],
      }),
    )) as TfjsSession;
    expect(session.stats.steps).toBe(1);
    const out = await session.run({ x: randomTensor([1, 5, 5, 2], 8) });
    expect((out['y'] as Tensor).dims).toEqual([1, 7, 7, 2]);
    expect(Array.from((out['s'] as Tensor).data as BigInt64Array, Number)).toEqual([1, 7, 7, 2]);
    await session.dispose();
  });
});
