import { describe, expect, it } from 'vitest';
import { maskStats } from './masks.js';
import { decodeRle, encodeRle, encodeRleString, rleArea, rleCountsFromString, rleCountsToString } from './rle.js';

describe('COCO RLE', () => {
  it('counts runs column-major starting with background', () => {
    // [[0, 1], [1, 1]] read column by column: 0, 1, 1, 1
    const mask = { width: 2, height: 2, data: Uint8Array.from([0, 1, 1, 1]) };
    expect(encodeRle(mask)).toEqual({ size: [2, 2], counts: [1, 3] });
    // A mask starting with foreground begins with a zero-length background run.
    expect(encodeRle({ width: 1, height: 3, data: Uint8Array.from([1, 1, 0]) }).counts).toEqual([0, 2, 1]);
  });

  it('writes the pycocotools compact string (6-bit groups, deltas from the count two back)', () => {
    expect(rleCountsToString([1, 3])).toBe('13');
    // 40 needs two groups: 40 = 8 + 1·32 → chars 48 + (8 | 0x20) = 'X', 48 + 1 = '1'
    expect(rleCountsToString([40])).toBe('X1');
    // the 4th count is stored as 2 − 5 = −3: low 5 bits 29 with the sign bit set → 48 + 29 = 'M'
    expect(rleCountsToString([1, 5, 1, 2])).toBe('151M');
  });

  it('round-trips masks and large or negative-delta counts', () => {
    let seed = 11;
    const mask = { width: 37, height: 29, data: Uint8Array.from({ length: 37 * 29 }, () => ((seed = (seed * 69069 + 1) % 4294967296) > 2e9 ? 1 : 0)) };
    const rle = encodeRle(mask);
    expect(Array.from(decodeRle(rle).data)).toEqual(Array.from(mask.data));
    const compact = encodeRleString(mask);
    expect(Array.from(decodeRle(compact).data)).toEqual(Array.from(mask.data));
    expect(rleArea(compact)).toBe(mask.data.reduce((a, b) => a + b, 0));
    const counts = [5, 60_000_000, 3, 1, 70_000_000, 2];
    expect(rleCountsFromString(rleCountsToString(counts))).toEqual(counts);
  });

  it('gives the same counts when told the bounding box', () => {
    for (const [w, h, x0, y0, x1, y1] of [[9, 7, 2, 1, 5, 4], [6, 5, 0, 0, 5, 4], [8, 6, 3, 0, 7, 2], [5, 5, 0, 2, 0, 4]] as const) {
      const data = new Uint8Array(w * h);
      // A ring-ish pattern inside the box, touching its edges.
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * w + x] = (x + y) % 3 === 0 || y === y0 || x === x1 ? 1 : 0;
      const mask = { width: w, height: h, data };
      const { bbox } = maskStats(mask);
      expect(encodeRle(mask, bbox)).toEqual(encodeRle(mask));
    }
    const empty = { width: 4, height: 3, data: new Uint8Array(12) };
    expect(encodeRle(empty, [0, 0, 0, 0]).counts).toEqual([12]);
  });

  it('rejects counts that do not fit the size', () => {
    expect(() => decodeRle({ size: [2, 2], counts: [1, 2] })).toThrow(/cover 3 pixels/);
    expect(() => decodeRle({ size: [2, 2], counts: [1, 9] })).toThrow(/do not fit/);
  });
});
