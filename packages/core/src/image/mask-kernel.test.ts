/**
 * The mask kernels: the committed WebAssembly module is the compiled mask-kernel.wat, it loads on
 * Node 20 (which has WebAssembly SIMD), and its horizontal and vertical passes are bit-identical to
 * the JavaScript ones for every tap count, row count, length and threshold, as are the masks
 * `maskFromLogits` builds on either.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { float32Threshold, hasSimdMaskKernel, KERNEL_ROWS, maskWorkspace, type ResampleTaps } from './mask-kernel.js';
import { MASK_KERNEL_WASM_BASE64 } from './mask-kernel-wasm.js';
import { maskFromLogits, type MaskGeometry } from './masks.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A deterministic generator in (0, 1) (Park–Miller, as masks.test.ts uses), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

/** Taps that copy each low-res column to the output column of the same index. */
function identityTaps(columns: number): ResampleTaps {
  return { first: Int32Array.from({ length: columns }, (_, x) => x), count: new Int32Array(columns).fill(1), slots: 1, weight: new Float32Array(columns).fill(1) };
}

describe('mask kernel', () => {
  it('is the compiled mask-kernel.wat (run `npm run build:wasm -w @samclip/core` after editing it)', async () => {
    const { compileMaskKernel } = (await import(/* @vite-ignore */ path.join(here, '../../scripts/wasm-source.mjs'))) as { compileMaskKernel(source: string): Promise<Uint8Array> };
    const compiled = await compileMaskKernel(readFileSync(path.join(here, 'mask-kernel.wat'), 'utf8'));
    expect(Buffer.from(compiled).toString('base64')).toBe(MASK_KERNEL_WASM_BASE64);
  });

  it('runs as WebAssembly SIMD on Node 20', () => {
    expect(hasSimdMaskKernel()).toBe(true);
  });

  it('maps any threshold to a float32 one that splits float32 values the same way', () => {
    const next = random(7);
    const probes = new Float32Array(4096);
    for (let i = 0; i < probes.length; i++) probes[i] = (next() - 0.5) * 10 ** Math.floor(next() * 8 - 4);
    const thresholds = [0, -0, 0.1, -0.1, 1 / 3, -1e-50, 1e-50, 3.4e39, -3.4e39, 1.0000000001, Number.NaN, Math.fround(0.7)];
    for (const threshold of thresholds) {
      const t32 = float32Threshold(threshold);
      expect(Math.fround(t32)).toBe(t32);
      const edges = [Math.fround(threshold), t32, Math.fround(t32 * (1 + 2 ** -23))];
      for (const v of [...probes, ...edges]) expect(v > t32, `${v} vs ${threshold}`).toBe(v > threshold);
    }
  });

  it('runs the horizontal pass bit-identically on WebAssembly and in JavaScript, for one to five taps', () => {
    const next = random(5);
    const M = 37;
    const map = new Float32Array(M * 20).map((_, i) => (next() - 0.5) * (i % 13 === 0 ? 1e-38 : 3));
    for (let trial = 0; trial < 20; trial++) {
      const columns = 50;
      const slots = 1 + (trial % 5);
      const first = new Int32Array(columns).map(() => Math.floor(next() * (M - slots)));
      const count = new Int32Array(columns).map(() => 1 + Math.floor(next() * slots));
      const weight = new Float32Array(columns * slots).map(() => next());
      const region = { rowMin: trial % 4, rowMax: 10 + (trial % 9), x0: trial % 7, x1: columns - 1 - (trial % 5) };
      const blocks = (['auto', 'js'] as const).map((engine) => Array.from(maskWorkspace(map, M, { first, count, slots, weight }, region, 8, { from: 0, to: 8 }, engine).block));
      expect(blocks[0], `trial ${trial}`).toEqual(blocks[1]);
      // Spot-check one value against the formula, summed in order with float32 rounding.
      const x = region.x1;
      const r = region.rowMax;
      let v = Math.fround(map[r * M + first[x]!]! * weight[x * slots]!);
      for (let s = 1; s < count[x]!; s++) v = Math.fround(v + Math.fround(map[r * M + first[x]! + s]! * weight[x * slots + s]!));
      expect(blocks[0]!.at(-1)).toBe(v);
    }
  });

  it('gives bit-identical masks and counts on WebAssembly and in JavaScript', () => {
    const next = random(11);
    const width = 77;
    for (let trial = 0; trial < 60; trial++) {
      const taps = 1 + (trial % 3);
      const rows = 1 + (trial % KERNEL_ROWS);
      const n = 1 + Math.floor(next() * width);
      const threshold = float32Threshold(trial % 5 === 0 ? 0 : (next() - 0.5) * 0.01);
      const blockLength = 3 * width;
      const maskLength = rows * width + 5;
      const results = (['auto', 'js'] as const).map((engine) => {
        const workspace = maskWorkspace(new Float32Array(blockLength), width, identityTaps(width), { rowMin: 0, rowMax: 2, x0: 0, x1: width - 1 }, maskLength, { from: 0, to: maskLength }, engine);
        const fill = random(1000 + trial);
        for (let i = 0; i < blockLength; i++) workspace.block[i] = (fill() - 0.5) * (i % 17 === 0 ? 1e-39 : 0.02);
        for (let i = 0; i < 3 * rows; i++) workspace.weights[i] = fill();
        workspace.counts.fill(3, 0, rows);
        workspace.thresholdRows(taps, 0, width, 2 * width, n, rows, threshold, 2, width);
        return { mask: Array.from(workspace.takeMask(0, maskLength)), counts: Array.from(workspace.counts.subarray(0, rows)) };
      });
      expect(results[0], `trial ${trial}: ${taps} taps, ${rows} rows, ${n} pixels`).toEqual(results[1]);
      // Only the n pixels of each row were written, and each count grew by that row's set pixels.
      const mask = results[0]!.mask;
      for (let k = 0; k < rows; k++) {
        const row = mask.slice(2 + k * width, 2 + k * width + n);
        expect(results[0]!.counts[k]).toBe(3 + row.reduce((sum, bit) => sum + bit, 0));
        expect(mask.slice(2 + k * width + n, 2 + (k + 1) * width).every((bit) => bit === 0)).toBe(true);
      }
    }
  });

  it('builds the same masks through maskFromLogits on either kernel', () => {
    const next = random(3);
    const originalSize = { width: 1800, height: 1200 };
    const geometry: MaskGeometry = { imageSize: 1024, inputSize: { width: 1024, height: 683 }, originalSize };
    const M = 256;
    const fragmented = new Float32Array(M * M).map(() => next() - 0.45);
    const blob = new Float32Array(M * M).map((_, i) => 20 - Math.hypot((i % M) - 120, Math.floor(i / M) - 80) / 4);
    for (const [name, data] of [['fragmented', fragmented], ['blob', blob]] as const) {
      for (const threshold of [0, 0.2]) {
        const simd = maskFromLogits({ width: M, height: M, data }, geometry, threshold);
        const js = maskFromLogits({ width: M, height: M, data }, geometry, threshold, 'js');
        expect(simd.area, name).toBeGreaterThan(0);
        expect({ area: simd.area, bbox: simd.bbox }, name).toEqual({ area: js.area, bbox: js.bbox });
        expect(Buffer.from(simd.mask.data).equals(Buffer.from(js.mask.data)), name).toBe(true);
      }
    }
  });

  it('leaves no pixel of an earlier, larger mask in a later one', () => {
    const M = 256;
    const geometry: MaskGeometry = { imageSize: 1024, inputSize: { width: 1024, height: 683 }, originalSize: { width: 1800, height: 1200 } };
    const blob = new Float32Array(M * M).map((_, i) => 6 - Math.hypot((i % M) - 150, Math.floor(i / M) - 60) / 3);
    maskFromLogits({ width: M, height: M, data: new Float32Array(M * M).fill(5) }, geometry);
    const simd = maskFromLogits({ width: M, height: M, data: blob }, geometry);
    const js = maskFromLogits({ width: M, height: M, data: blob }, geometry, 0, 'js');
    expect(simd.area).toBeGreaterThan(0);
    expect(simd.area).toBeLessThan(1800 * 1200 * 0.05);
    expect(Buffer.from(simd.mask.data).equals(Buffer.from(js.mask.data))).toBe(true);
  });

  it('hands out masks that later calls do not overwrite', () => {
    const M = 16;
    const geometry: MaskGeometry = { imageSize: 64, inputSize: { width: 64, height: 48 }, originalSize: { width: 40, height: 30 } };
    const first = maskFromLogits({ width: M, height: M, data: new Float32Array(M * M).map((_, i) => (i % 3) - 1) }, geometry);
    const copy = Uint8Array.from(first.mask.data);
    maskFromLogits({ width: M, height: M, data: new Float32Array(M * M).fill(1) }, geometry);
    expect(first.mask.data).toEqual(copy);
  });
});
