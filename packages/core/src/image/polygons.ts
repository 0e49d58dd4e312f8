/**
 * Mask → polygons, for COCO-style polygon output and vector overlays. Boundaries follow pixel
 * edges (vertices on pixel corners), so a polygon rasterised back covers exactly the mask's pixels
 * before simplification; Douglas–Peucker then drops vertices within `tolerance` pixels.
 */
import type { BinaryMask } from './types.js';

export interface PolygonOptions {
  /** Maximum distance (pixels) a simplified edge may stray from the pixel boundary (default 1; 0 keeps every corner). */
  tolerance?: number;
  /** Also return hole boundaries (default false: COCO polygons list outer rings only). */
  includeHoles?: boolean;
}

export interface MaskPolygon {
  /** Flat [x0, y0, x1, y1, …] in pixel-corner coordinates, not closed (the last vertex joins the first). */
  points: number[];
  /** True for a hole's boundary. */
  hole: boolean;
}

/** Signed area (shoelace); positive for rings that run clockwise on screen (y down). */
function signedArea(points: readonly number[]): number {
  let sum = 0;
  const n = points.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    sum += points[i * 2]! * points[j * 2 + 1]! - points[j * 2]! * points[i * 2 + 1]!;
  }
  return sum / 2;
}

function simplify(points: number[], tolerance: number): number[] {
  const n = points.length / 2;
  if (tolerance <= 0 || n <= 4) return points;
  const keep = new Uint8Array(n);
  // Split the closed ring at vertex 0 and the vertex farthest from it, then simplify both halves.
  let far = 0;
  let farDistance = -1;
  for (let i = 1; i < n; i++) {
    const d = (points[i * 2]! - points[0]!) ** 2 + (points[i * 2 + 1]! - points[1]!) ** 2;
    if (d > farDistance) {
      farDistance = d;
      far = i;
    }
  }
  keep[0] = 1;
  keep[far] = 1;
  const stack: Array<[number, number]> = [
    [0, far],
    [far, n],
  ];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    const ax = points[(a % n) * 2]!;
    const ay = points[(a % n) * 2 + 1]!;
    const bx = points[(b % n) * 2]!;
    const by = points[(b % n) * 2 + 1]!;
    const length = Math.hypot(bx - ax, by - ay);
    let worst = -1;
    let worstDistance = tolerance;
    for (let i = a + 1; i < b; i++) {
      const px = points[i * 2]!;
      const py = points[i * 2 + 1]!;
      const d = length === 0 ? Math.hypot(px - ax, py - ay) : Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length;
      if (d > worstDistance) {
        worstDistance = d;
        worst = i;
      }
    }
    if (worst >= 0) {
      keep[worst] = 1;
      stack.push([a, worst], [worst, b]);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(points[i * 2]!, points[i * 2 + 1]!);
  return out;
}

/**
 * Traces every boundary of a mask. Outer rings run clockwise on screen, holes counter-clockwise;
 * pixels touching only at a corner belong to separate rings.
 */
export function maskToPolygons(mask: BinaryMask, options: PolygonOptions = {}): MaskPolygon[] {
  const { width, height, data } = mask;
  const tolerance = options.tolerance ?? 1;
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && data[y * width + x] !== 0;
  const stride = width + 1;
  // Directed boundary edges keyed by start corner; direction 0 right, 1 down, 2 left, 3 up; foreground on the right.
  const outgoing = new Map<number, number[]>();
  const add = (x: number, y: number, direction: number) => {
    const key = y * stride + x;
    const list = outgoing.get(key);
    if (list) list.push(direction);
    else outgoing.set(key, [direction]);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!at(x, y)) continue;
      if (!at(x, y - 1)) add(x, y, 0);
      if (!at(x + 1, y)) add(x + 1, y, 1);
      if (!at(x, y + 1)) add(x + 1, y + 1, 2);
      if (!at(x - 1, y)) add(x, y + 1, 3);
    }
  }
  const dx = [1, 0, -1, 0];
  const dy = [0, 1, 0, -1];
  const polygons: MaskPolygon[] = [];
  for (const [startKey, startList] of outgoing) {
    const sx = startKey % stride;
    const sy = Math.floor(startKey / stride);
    while (startList.length > 0) {
      const first = startList.pop()!;
      let direction = first;
      let x = sx;
      let y = sy;
      const ring: number[] = [sx, sy];
      for (;;) {
        x += dx[direction]!;
        y += dy[direction]!;
        if (x === sx && y === sy) break;
        const choices = outgoing.get(y * stride + x);
        if (!choices || choices.length === 0) break;
        // At a corner shared by diagonal pixels, turn right first so corner-touching pixels stay apart.
        const pick = [(direction + 1) % 4, direction, (direction + 3) % 4].find((d) => choices.includes(d)) ?? choices[0]!;
        choices.splice(choices.indexOf(pick), 1);
        if (pick !== direction) ring.push(x, y);
        direction = pick;
      }
      // The start corner is only a vertex if the ring turns there.
      if (direction === first) ring.splice(0, 2);
      if (ring.length < 6) continue;
      const hole = signedArea(ring) < 0;
      if (hole && !options.includeHoles) continue;
      polygons.push({ points: simplify(ring, tolerance), hole });
    }
  }
  return polygons;
}
