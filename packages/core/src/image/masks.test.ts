import { describe, expect, it } from 'vitest';
import {
  cropMap,
  lowResExtentRead,
  maskFromLogits,
  maskIoU,
  maskLogitsToImage,
  maskLogitsToImageReference,
  maskStats,
  paddedMaskPlane,
  stabilityScore,
  thresholdMap,
  upsampleBilinear,
  type MaskGeometry,
} from './masks.js';
import type { FloatMap } from './types.js';

function randomMap(width: number, height: number, seed: number): FloatMap {
  let s = seed;
  const data = Float32Array.from({ length: width * height }, () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 20 - 10;
  });
  return { width, height, data };
}

/** maskFromLogits, checked pixel for pixel, and for area and box, against thresholding maskLogitsToImage. */
function expectFusedEqualsFull(low: FloatMap, geometry: MaskGeometry, threshold: number, label: string): ReturnType<typeof maskFromLogits> {
  const fused = maskFromLogits(low, geometry, threshold);
  const full = thresholdMap(maskLogitsToImage(low, geometry), threshold);
  let differing = 0;
  for (let i = 0; i < full.data.length; i++) if (full.data[i] !== fused.mask.data[i]) differing++;
  expect(differing, label).toBe(0);
  expect({ area: fused.area, bbox: fused.bbox }, label).toEqual(maskStats(full));
  return fused;
}

describe('mask post-processing', () => {
  it('upsamples like F.interpolate(bilinear, align_corners=False)', () => {
    const up = upsampleBilinear({ width: 2, height: 1, data: Float32Array.from([0, 1]) }, 1, 4);
    expect(Array.from(up.data)).toEqual([0, 0.25, 0.75, 1]);
    const down = upsampleBilinear({ width: 4, height: 1, data: Float32Array.from([0, 1, 2, 3]) }, 1, 2);
    expect(Array.from(down.data)).toEqual([0.5, 2.5]);
  });

  it('crops the top-left window', () => {
    const map = { width: 3, height: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    expect(Array.from(cropMap(map, 2, 2).data)).toEqual([1, 2, 4, 5]);
  });

  it('fast composed path equals upsample → crop → resize', () => {
    for (const [orig, input, S, M] of [
      [{ height: 120, width: 180 }, { height: 683, width: 1024 }, 1024, 256],
      [{ height: 50, width: 30 }, { height: 64, width: 38 }, 64, 16],
      [{ height: 700, width: 400 }, { height: 64, width: 37 }, 64, 16],
    ] as const) {
      const low = randomMap(M, M, 3 + orig.width);
      const geometry = { imageSize: S, inputSize: input, originalSize: orig };
      const ref = maskLogitsToImageReference(low, geometry);
      const fast = maskLogitsToImage(low, geometry);
      expect([fast.width, fast.height]).toEqual([orig.width, orig.height]);
      let maxDiff = 0;
      for (let i = 0; i < ref.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref.data[i]! - fast.data[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(maskIoU(thresholdMap(ref), thresholdMap(fast))).toBeGreaterThan(0.9999);
      const fused = maskFromLogits(low, geometry);
      expect(fused.mask.data).toEqual(thresholdMap(fast).data);
      expect({ area: fused.area, bbox: fused.bbox }).toEqual(maskStats(fused.mask));
    }
  });

  it('fused mask path evaluates only the region a positive blob reaches, with identical results', () => {
    const M = 64;
    const geometry = { imageSize: 256, inputSize: { height: 171, width: 256 }, originalSize: { height: 300, width: 450 } };
    for (const [cu, cv, r] of [[20, 15, 4], [0, 0, 2], [63, 42, 3], [40, 30, 0]] as const) {
      const data = new Float32Array(M * M).fill(-3);
      for (let v = 0; v < M; v++) for (let u = 0; u < M; u++) if ((u - cu) ** 2 + (v - cv) ** 2 <= r * r) data[v * M + u] = 4;
      const low = { width: M, height: M, data };
      const reference = thresholdMap(maskLogitsToImageReference(low, geometry));
      const fused = maskFromLogits(low, geometry);
      expect(maskIoU(fused.mask, reference)).toBeGreaterThan(0.999);
      expect({ area: fused.area, bbox: fused.bbox }).toEqual(maskStats(fused.mask));
    }
    expect(maskFromLogits({ width: 4, height: 4, data: new Float32Array(16).fill(-1) }, { imageSize: 16, inputSize: { height: 16, width: 16 }, originalSize: { height: 9, width: 9 } }).area).toBe(0);
  });

  it('fused mask path is bit-identical to thresholding the full map at 1800×1200, smooth or fragmented, any threshold', () => {
    const M = 256;
    const geometry = { imageSize: 1024, inputSize: { height: 683, width: 1024 }, originalSize: { height: 1200, width: 1800 } };
    // A smooth blob (most rows decided without evaluation), a fragmented field (most evaluated), and a
    // blob with values just above and below the threshold (the decided margin must not misclassify).
    const blob = new Float32Array(M * M);
    const fragmented = randomMap(M, M, 11).data;
    const grazing = new Float32Array(M * M);
    for (let v = 0; v < M; v++) {
      for (let u = 0; u < M; u++) {
        blob[v * M + u] = 12 - Math.hypot(u - 90, v - 60) / 4;
        grazing[v * M + u] = (u + v) % 3 === 0 ? 1e-7 : u < 128 ? 2e-7 : -1e-7;
      }
    }
    for (const [name, data] of [['blob', blob], ['fragmented', fragmented], ['grazing', grazing]] as const) {
      for (const threshold of [0, 0.5, -1.5]) {
        expectFusedEqualsFull({ width: M, height: M, data }, geometry, threshold, `${name} at ${threshold}`);
      }
    }
  });

  it('fused mask path is bit-identical on checkerboard-like masks and on blobs with fragmented patches', () => {
    const M = 256;
    const geometry = { imageSize: 1024, inputSize: { height: 683, width: 1024 }, originalSize: { height: 1200, width: 1800 } };
    const noise = randomMap(M, M, 29).data;
    // A random-weight decoder's masks: the sign flips every one to three cells in both directions.
    const checkerboard = new Float32Array(M * M);
    // A blob whose decided interior and exterior border a fragmented patch, so filled, clear and
    // evaluated stretches alternate within rows.
    const patched = new Float32Array(M * M);
    for (let v = 0; v < M; v++) {
      for (let u = 0; u < M; u++) {
        const i = v * M + u;
        checkerboard[i] = ((Math.floor(u / (1 + (v % 3))) + Math.floor(v / 2)) % 2 === 0 ? 1 : -1) * (0.5 + Math.abs(noise[i]!));
        const inPatch = u > 100 && u < 160 && v > 40 && v < 90;
        patched[i] = inPatch ? noise[i]! : 8 - Math.hypot(u - 120, v - 70) / 5;
      }
    }
    for (const [name, data] of [['checkerboard', checkerboard], ['patched', patched]] as const) {
      for (const threshold of [0, 1.5]) {
        const fused = expectFusedEqualsFull({ width: M, height: M, data }, geometry, threshold, `${name} at ${threshold}`);
        expect(fused.area, `${name} at ${threshold}`).toBeGreaterThan(0);
      }
    }
  });

  it('handles filters of more than three taps and alternating geometries', () => {
    // Low-res logits larger than the model input make the composed filter 4 taps wide.
    const wide = { imageSize: 8, inputSize: { height: 8, width: 6 }, originalSize: { height: 5, width: 3 } };
    const usual = { imageSize: 64, inputSize: { height: 64, width: 38 }, originalSize: { height: 50, width: 30 } };
    for (const [geometry, M] of [[wide, 16], [usual, 16], [wide, 16]] as const) {
      const low = randomMap(M, M, 5 + geometry.imageSize);
      const reference = maskLogitsToImageReference(low, geometry);
      const fast = maskLogitsToImage(low, geometry);
      let maxDiff = 0;
      for (let i = 0; i < reference.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference.data[i]! - fast.data[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
      const fused = maskFromLogits(low, geometry);
      expect(fused.mask.data).toEqual(thresholdMap(fast).data);
      expect({ area: fused.area, bbox: fused.bbox }).toEqual(maskStats(fused.mask));
    }
  });

  it('computes area, COCO bbox and stability', () => {
    const mask = { width: 4, height: 3, data: Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0]) };
    expect(maskStats(mask)).toEqual({ area: 3, bbox: [1, 1, 2, 2] });
    expect(maskStats({ width: 2, height: 1, data: new Uint8Array(2) })).toEqual({ area: 0, bbox: [0, 0, 0, 0] });
    // > 1: {3, 5}; > −1: {0.5, 3, 5, −0.5} → 2/4
    expect(stabilityScore(Float32Array.from([0.5, 3, 5, -0.5, -2]))).toBe(0.5);
  });
});

describe('the part of the low-res map the post-processing reads', () => {
  /** A smooth random-ish map: blobs above and below 0, so masks have boundaries everywhere. */
  function logits(size: number, seed: number): FloatMap {
    const data = new Float32Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = Math.sin((x + seed) / 3.1) * Math.cos((y - seed) / 4.3) * 5 + Math.sin(x * y * 0.01 + seed);
    return { width: size, height: size, data };
  }

  // Landscape, portrait, square, sizes whose resized side ends on a token boundary and just past one.
  const originals: Array<[number, number]> = [[1800, 1200], [1200, 1800], [640, 640], [1024, 688], [1025, 689], [333, 999], [100, 37], [16, 4000]];
  it.each(originals)('%i×%i: cells outside lowResExtentRead never reach the masks or the logits', (width, height) => {
    const imageSize = 256;
    const maskSize = 64;
    const longest = Math.max(width, height);
    const inputSize = { width: Math.floor((width * imageSize) / longest + 0.5), height: Math.floor((height * imageSize) / longest + 0.5) };
    const geometry: MaskGeometry = { imageSize, inputSize, originalSize: { width: Math.min(width, 300), height: Math.min(height, 300) } };
    const { rows, cols } = lowResExtentRead(geometry, maskSize);
    expect(rows).toBeGreaterThanOrEqual(Math.ceil((inputSize.height * maskSize) / imageSize));
    expect(cols).toBeGreaterThanOrEqual(Math.ceil((inputSize.width * maskSize) / imageSize));
    expect(Math.max(rows, cols)).toBeLessThanOrEqual(maskSize);
    const map = logits(maskSize, width % 7);
    // Cells beyond the extent become NaN: any read of one would turn an output value into NaN.
    const poisoned = { ...map, data: map.data.map((v, i) => (Math.floor(i / maskSize) >= rows || i % maskSize >= cols ? Number.NaN : v)) };
    const got = maskLogitsToImage(poisoned, geometry);
    expect(got.data.some(Number.isNaN)).toBe(false);
    expect(got.data).toEqual(maskLogitsToImage(map, geometry).data);
    expect(maskLogitsToImageReference(poisoned, geometry).data.some(Number.isNaN)).toBe(false);
    // The mask path reads the same cells: filled from the extent by paddedMaskPlane, it is unchanged.
    const cropped = new Float32Array(rows * cols);
    for (let y = 0; y < rows; y++) cropped.set(map.data.subarray(y * maskSize, y * maskSize + cols), y * cols);
    expect(maskFromLogits(paddedMaskPlane(cropped, 0, rows, cols, maskSize), geometry).mask).toEqual(maskFromLogits(map, geometry).mask);
  });

  it('paddedMaskPlane repeats the last row and column, and returns a full plane as it is', () => {
    const data = Float32Array.of(0, 0, 0, 0, /* plane 1: */ 1, 2, 3, 4);
    const padded = paddedMaskPlane(data, 1, 2, 2, 3);
    expect(Array.from(padded.data)).toEqual([1, 2, 2, 3, 4, 4, 3, 4, 4]);
    const full = paddedMaskPlane(data, 1, 2, 2, 2);
    expect(full.data).toEqual(Float32Array.of(1, 2, 3, 4));
    expect(() => paddedMaskPlane(data, 0, 2, 2, 1)).toThrow(/does not fit/);
  });
});
