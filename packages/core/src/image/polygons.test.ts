import { describe, expect, it } from 'vitest';
import { maskToPolygons } from './polygons.js';
import type { BinaryMask } from './types.js';

function maskFrom(rows: string[]): BinaryMask {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height);
  rows.forEach((row, y) => [...row].forEach((c, x) => (data[y * width + x] = c === '#' ? 1 : 0)));
  return { width, height, data };
}

/** Even-odd point-in-polygon at pixel centres: rasterises rings back to a mask. */
function rasterise(polygons: Array<{ points: number[] }>, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      let inside = false;
      for (const { points } of polygons) {
        const n = points.length / 2;
        for (let i = 0, j = n - 1; i < n; j = i++) {
          const xi = points[i * 2]!;
          const yi = points[i * 2 + 1]!;
          const xj = points[j * 2]!;
          const yj = points[j * 2 + 1]!;
          if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
        }
      }
      out[y * width + x] = inside ? 1 : 0;
    }
  }
  return out;
}

describe('mask → polygons', () => {
  it('traces a rectangle as its four corners, clockwise', () => {
    const polygons = maskToPolygons(maskFrom(['.....', '.###.', '.###.', '.....']));
    expect(polygons).toEqual([{ points: [1, 1, 4, 1, 4, 3, 1, 3], hole: false }]);
  });

  it('keeps holes apart and rasterises back to the exact mask without simplification', () => {
    const mask = maskFrom(['#######', '#.....#', '#.###.#', '#.#.#.#', '#.###.#', '#.....#', '#######', '##.....', '.#.....']);
    const outer = maskToPolygons(mask, { tolerance: 0 });
    expect(outer.every((p) => !p.hole)).toBe(true);
    const all = maskToPolygons(mask, { tolerance: 0, includeHoles: true });
    expect(all.filter((p) => p.hole)).toHaveLength(2);
    expect(Array.from(rasterise(all, mask.width, mask.height))).toEqual(Array.from(mask.data));
  });

  it('separates pixels that touch only at a corner and simplifies staircases', () => {
    expect(maskToPolygons(maskFrom(['#.', '.#']))).toHaveLength(2);
    const rows = Array.from({ length: 20 }, (_, y) => '#'.repeat(y + 1).padEnd(20, '.'));
    const exact = maskToPolygons(maskFrom(rows), { tolerance: 0 })[0]!;
    const simple = maskToPolygons(maskFrom(rows), { tolerance: 1 })[0]!;
    expect(exact.points.length / 2).toBeGreaterThan(30);
    expect(simple.points.length / 2).toBeLessThanOrEqual(4);
  });
});
