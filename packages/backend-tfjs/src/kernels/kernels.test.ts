import { createTensor } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { describe, expect, it } from 'vitest';
import { TfjsBackend } from '../backend.js';
import type { TfjsSession } from '../session.js';
import { init, int, io, modelBytes, node, randomTensor } from '../test-utils/model.js';

const backend = new TfjsBackend('cpu');

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Plain-loop matmul of row-major [M, K] × [K, N]. */
function referenceMatMul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return out;
}

describe('kernels beyond the ONNX node tests', () => {
  it('Einsum bhwc,hkc->bhwk (SAM relative positions) contracts without an outer product', async () => {
    const [B, H, W, C, K] = [2, 3, 4, 5, 6];
    const q = randomTensor([B, H, W, C], 1);
    const r = randomTensor([H, K, C], 2);
    const session = await backend.createSession(
      modelBytes({
        inputs: [io('q', 'float32', [B, H, W, C]), io('r', 'float32', [H, K, C])],
        outputs: [io('y', 'float32', [B, H, W, K])],
        nodes: [node('Einsum', ['q', 'r'], ['y'], { equation: { type: 'string', value: 'bhwc,hkc->bhwk' } })],
      }),
    );
    const y = (await session.run({ q, r }))['y'] as Tensor;
    const expected = new Float32Array(B * H * W * K);
    const qd = q.data;
    const rd = r.data;
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let k = 0; k < K; k++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += qd[((b * H + h) * W + w) * C + c]! * rd[(h * K + k) * C + c]!;
      expected[((b * H + h) * W + w) * K + k] = s;
    }
    expect(maxAbsDiff(y.data as Float32Array, expected)).toBeLessThan(1e-5);
  });

  it('folds int4 blocked DequantizeLinear weights at load and computes the MatMul in float', async () => {
    const [K, N, block] = [8, 3, 4];
    const codes = Array.from({ length: K * N }, (_, i) => ((i * 5) % 16) - 8);
    const scales = Array.from({ length: (K / block) * N }, (_, i) => 0.1 + 0.05 * i);
    const x = randomTensor([2, K], 3);
    const session = (await backend.createSession(
      modelBytes({
        opset: 21,
        inputs: [io('x', 'float32', [2, K])],
        outputs: [io('y', 'float32', [2, N])],
        initializers: [init('wq', createTensor('int4', [K, N], codes)), init('scale', createTensor('float32', [K / block, N], scales))],
        nodes: [node('DequantizeLinear', ['wq', 'scale'], ['w'], { axis: int(0), block_size: int(block) }), node('MatMul', ['x', 'w'], ['y'])],
      }),
    )) as TfjsSession;
    expect(session.stats.steps).toBe(1);
    const weights = codes.map((c, i) => c * scales[Math.floor(Math.floor(i / N) / block) * N + (i % N)]!);
    const y = (await session.run({ x }))['y'] as Tensor;
    expect(maxAbsDiff(y.data as Float32Array, referenceMatMul(x.data, weights, 2, K, N))).toBeLessThan(1e-5);
  });

  it('runs com.microsoft MatMulNBits with 4-bit blocks and packed zero points, dequantized at load', async () => {
    const [K, N, block] = [32, 2, 16];
    const blocks = K / block;
    const nibbles = Array.from({ length: N * K }, (_, i) => (i * 7 + 3) % 16);
    const packed = new Uint8Array((N * K) / 2);
    nibbles.forEach((v, i) => (packed[i >> 1]! |= v << ((i & 1) * 4)));
    const scales = [0.5, 0.25, 0.125, 1];
    const zeros = [7, 9, 8, 6];
    const zeroBytes = new Uint8Array([zeros[0]! | (zeros[1]! << 4), zeros[2]! | (zeros[3]! << 4)]);
    const x = randomTensor([1, K], 4);
    const session = (await backend.createSession(
      encodeWithDomain({
        inputs: [io('x', 'float32', [1, K])],
        outputs: [io('y', 'float32', [1, N])],
        initializers: [
          init('b', createTensor('uint8', [N, blocks, block / 2], packed)),
          init('scales', createTensor('float32', [N * blocks], scales)),
          init('zp', createTensor('uint8', [N, 1], zeroBytes)),
        ],
        nodes: [node('MatMulNBits', ['x', 'b', 'scales', 'zp'], ['y'], { K: int(K), N: int(N), bits: int(4), block_size: int(block) }, 'com.microsoft')],
      }),
    )) as TfjsSession;
    expect(session.stats.steps).toBe(1);
    const wT = new Float32Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) {
      const blk = Math.floor(k / block);
      wT[k * N + n] = (nibbles[n * K + k]! - zeros[n * blocks + blk]!) * scales[n * blocks + blk]!;
    }
    const y = (await session.run({ x }))['y'] as Tensor;
    expect(maxAbsDiff(y.data as Float32Array, referenceMatMul(x.data, wT, 1, K, N))).toBeLessThan(1e-5);
  });

  it('CumSum, Trilu, ScatterND and ReduceL2 match hand-computed values', async () => {
    const session = await backend.createSession(
      modelBytes({
        inputs: [io('x', 'float32', [2, 3])],
        outputs: [io('cum', 'float32', [2, 3]), io('tri', 'float32', [2, 3]), io('scat', 'float32', [2, 3]), io('l2', 'float32', [2, 1])],
        initializers: [
          init('axis', createTensor('int64', [], [1n])),
          init('idx', createTensor('int64', [1, 1], [1n])),
          init('upd', createTensor('float32', [1, 3], [7, 8, 9])),
          init('axes', createTensor('int64', [1], [1n])),
        ],
        nodes: [
          node('CumSum', ['x', 'axis'], ['cum'], { reverse: int(1) }),
          node('Trilu', ['x'], ['tri'], { upper: int(0) }),
          node('ScatterND', ['x', 'idx', 'upd'], ['scat']),
          node('ReduceL2', ['x', 'axes'], ['l2'], { keepdims: int(1) }),
        ],
        opset: 18,
      }),
    );
    const out = await session.run({ x: createTensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]) });
    expect(Array.from((out['cum'] as Tensor).data as Float32Array)).toEqual([6, 5, 3, 15, 11, 6]);
    expect(Array.from((out['tri'] as Tensor).data as Float32Array)).toEqual([1, 0, 0, 4, 5, 0]);
    expect(Array.from((out['scat'] as Tensor).data as Float32Array)).toEqual([1, 2, 3, 7, 8, 9]);
    expect(maxAbsDiff((out['l2'] as Tensor).data as Float32Array, [Math.sqrt(14), Math.sqrt(77)])).toBeLessThan(1e-5);
  });
});

function encodeWithDomain(spec: Parameters<typeof modelBytes>[0]): Uint8Array {
  return modelBytes({ ...spec, extraOpsets: [{ domain: 'com.microsoft', version: 1 }] });
}
