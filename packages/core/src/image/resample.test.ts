import { describe, expect, it } from 'vitest';
import { resampleCoefficients, resampleMethod, resampleUint8 } from './resample.js';

/** Direct float implementation of the antialiased filter (no fixed point, one rounding at the end per pass). */
function floatResample1d(row: number[], outSize: number, support0: number, weight: (x: number) => number): number[] {
  const scale = row.length / outSize;
  const fs = Math.max(scale, 1);
  const support = support0 * fs;
  const out: number[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    let num = 0;
    let den = 0;
    for (let x = Math.max(0, Math.trunc(center - support + 0.5)); x < Math.min(row.length, Math.trunc(center + support + 0.5)); x++) {
      const w = weight((x - center + 0.5) / fs);
      num += w * row[x]!;
      den += w;
    }
    out.push(Math.min(255, Math.max(0, Math.round(num / den))));
  }
  return out;
}
const triangle = (x: number) => Math.max(0, 1 - Math.abs(x));

/** 9×7 RGB test pattern: (37x + 91y + 53c + 13xy) mod 256. */
function pattern(): Uint8Array {
  const data = new Uint8Array(9 * 7 * 3);
  for (let y = 0; y < 7; y++) for (let x = 0; x < 9; x++) for (let c = 0; c < 3; c++) data[(y * 9 + x) * 3 + c] = (x * 37 + y * 91 + c * 53 + x * y * 13) % 256;
  return data;
}

describe('Pillow-compatible resampling', () => {
  it('reproduces Pillow 9.4 Image.resize byte for byte', () => {
    // Generated with: np.asarray(Image.fromarray(pattern).resize(size, Image.BILINEAR | Image.BICUBIC)).flatten()
    const pilBilinear4x3 = [
      107, 136, 147, 138, 140, 149, 139, 141, 137, 131, 124, 110, 122, 149, 124, 148, 126, 128, 137, 116, 148, 124, 119, 143, 109, 162, 150, 142, 116,
      163, 137, 127, 134, 150, 120, 139,
    ];
    const pilBicubic5x11 = [
      9, 61, 115, 71, 130, 201, 157, 221, 201, 183, 88, 49, 12, 63, 135, 51, 115, 170, 138, 151, 144, 123, 151, 177, 155, 140, 119, 107, 89, 100, 123,
      178, 211, 204, 168, 87, 95, 78, 135, 118, 188, 198, 216, 137, 65, 200, 155, 91, 120, 124, 160, 166, 152, 90, 116, 111, 162, 163, 191, 99, 159, 126,
      80, 125, 122, 143, 171, 165, 114, 135, 75, 138, 110, 182, 143, 50, 113, 154, 188, 151, 68, 127, 118, 177, 160, 85, 138, 82, 123, 176, 108, 169,
      146, 120, 148, 114, 136, 72, 142, 135, 108, 167, 109, 80, 138, 148, 203, 123, 101, 137, 165, 151, 79, 118, 110, 141, 170, 152, 71, 131, 126, 190,
      102, 160, 125, 192, 162, 145, 130, 101, 173, 138, 191, 104, 173, 98, 156, 152, 112, 122, 186, 175, 123, 144, 129, 113, 129, 164, 152, 131, 79,
      131, 194, 64, 123, 175, 182, 94, 152, 153, 59, 128, 134, 184, 91,
    ];
    expect(Array.from(resampleUint8(pattern(), 9, 7, 3, 4, 3, 'bilinear'))).toEqual(pilBilinear4x3);
    expect(Array.from(resampleUint8(pattern(), 9, 7, 3, 5, 11, 'bicubic'))).toEqual(pilBicubic5x11);
  });

  it('downscales 4→2 with the support widened by the scale (hand-computed taps 3/7, 3/7, 1/7)', () => {
    const out = resampleUint8(Uint8Array.from([0, 100, 200, 255]), 4, 1, 1, 2, 1, 'bilinear');
    // (0·3 + 100·3 + 200·1)/7 = 71.4 → 71; (100·1 + 200·3 + 255·3)/7 = 209.3 → 209
    expect(Array.from(out)).toEqual([71, 209]);
  });

  it('without antialias samples only the two nearest pixels, like F.interpolate', () => {
    const out = resampleUint8(Uint8Array.from([0, 100, 200, 255]), 4, 1, 1, 2, 1, 'bilinear', false);
    expect(Array.from(out)).toEqual([50, 228]);
    expect(resampleMethod('bicubic-antialias')).toEqual({ filter: 'bicubic', antialias: true });
    expect(() => resampleMethod('lanczos')).toThrow(/Unknown resize rule/);
  });

  it('upscales 2→4 with triangle taps (edges clamp to one tap)', () => {
    const out = resampleUint8(Uint8Array.from([0, 100]), 2, 1, 1, 4, 1, 'bilinear');
    expect(Array.from(out)).toEqual([0, 25, 75, 100]);
  });

  it('computes the same bounds and normalised weights as the formula', () => {
    const { first, count, weights, ksize } = resampleCoefficients(4, 2, 'bilinear');
    expect(ksize).toBe(5);
    expect(Array.from(first)).toEqual([0, 1]);
    expect(Array.from(count)).toEqual([3, 3]);
    const one = 1 << 22;
    expect(weights[0]).toBe(Math.trunc(0.5 + (3 / 7) * one));
    expect(weights[2]).toBe(Math.trunc(0.5 + (1 / 7) * one));
  });

  it('stays within one level of an exact float resample on random images, both passes', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const [w, h, ow, oh] of [[37, 23, 16, 10], [20, 31, 47, 13], [64, 64, 17, 29]] as const) {
      const data = Uint8Array.from({ length: w * h }, () => Math.floor(rand() * 256));
      const out = resampleUint8(data, w, h, 1, ow, oh, 'bilinear');
      // Reference: horizontal then vertical in float with rounding between the passes, as Pillow does.
      const rows: number[][] = [];
      for (let y = 0; y < h; y++) rows.push(floatResample1d(Array.from(data.subarray(y * w, (y + 1) * w)), ow, 1, triangle));
      let maxDiff = 0;
      for (let x = 0; x < ow; x++) {
        const col = floatResample1d(rows.map((r) => r[x]!), oh, 1, triangle);
        for (let y = 0; y < oh; y++) maxDiff = Math.max(maxDiff, Math.abs(col[y]! - out[y * ow + x]!));
      }
      expect(maxDiff).toBeLessThanOrEqual(1);
    }
  });

  it('keeps channels independent and leaves a same-size resize unchanged', () => {
    const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
    expect(Array.from(resampleUint8(rgb, 2, 2, 3, 2, 2))).toEqual(Array.from(rgb));
    const gray = resampleUint8(Uint8Array.from([10, 40, 70, 100]), 2, 2, 1, 1, 1);
    const color = resampleUint8(rgb, 2, 2, 3, 1, 1);
    expect(color[0]).toBe(gray[0]);
  });

  it('clamps bicubic overshoot to 0..255', () => {
    const out = resampleUint8(Uint8Array.from([0, 0, 255, 255, 0, 0]), 6, 1, 1, 11, 1, 'bicubic');
    expect(Math.max(...out)).toBe(255);
    expect(Math.min(...out)).toBe(0);
  });

  it('rejects an empty target size', () => {
    expect(() => resampleUint8(new Uint8Array(4), 2, 2, 1, 0, 2)).toThrow(/at least 1×1/);
  });
});
