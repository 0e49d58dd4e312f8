/**
 * Mask post-processing: SAM's low-resolution logits (M×M over the padded S×S input) back to the
 * original image, thresholding, and the per-mask statistics the automatic generator filters on.
 *
 * The reference (SamPredictor.postprocess_masks) upsamples M×M → S×S with bilinear
 * align_corners=false, crops the unpadded h×w region, then resizes to H×W the same way.
 * {@link upsampleBilinear} + {@link cropMap} reproduce that literally; {@link maskLogitsToImage}
 * folds the three steps into one separable filter, and {@link maskFromLogits} thresholds it while
 * evaluating only the pixels near the mask's boundary.
 */
import { SamClipError } from '../errors.js';
import { float32Threshold, horizontalPass, KERNEL_ROWS, maskWorkspace, type MaskWorkspace, type ResampleTaps } from './mask-kernel.js';
import type { BinaryMask, FloatMap, ImageSize } from './types.js';

/** Linear-interpolation taps for one axis, as PyTorch's upsample_bilinear2d (align_corners=false). */
interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

function bilinearAxisTaps(inSize: number, outSize: number): AxisTaps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float32Array(outSize);
  const w1 = new Float32Array(outSize);
  // PyTorch computes these in float32 for float tensors: scale = in / out, src = scale·(dst + 0.5) − 0.5, clamped at 0.
  const scale = Math.fround(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    const src = Math.max(Math.fround(Math.fround(scale * (d + 0.5)) - 0.5), 0);
    const lo = Math.trunc(src);
    const lambda = Math.min(Math.max(Math.fround(src - lo), 0), 1);
    i0[d] = lo;
    i1[d] = lo < inSize - 1 ? lo + 1 : lo;
    w1[d] = lambda;
    w0[d] = 1 - lambda;
  }
  return { i0, i1, w0, w1 };
}

/** F.interpolate(map, (outHeight, outWidth), mode='bilinear', align_corners=False). */
export function upsampleBilinear(map: FloatMap, outHeight: number, outWidth: number): FloatMap {
  const { width, height, data } = map;
  const ty = bilinearAxisTaps(height, outHeight);
  const tx = bilinearAxisTaps(width, outWidth);
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const r0 = ty.i0[y]! * width;
    const r1 = ty.i1[y]! * width;
    const h0 = ty.w0[y]!;
    const h1 = ty.w1[y]!;
    for (let x = 0; x < outWidth; x++) {
      const c0 = tx.i0[x]!;
      const c1 = tx.i1[x]!;
      const v0 = Math.fround(data[r0 + c0]! * tx.w0[x]! + data[r0 + c1]! * tx.w1[x]!);
      const v1 = Math.fround(data[r1 + c0]! * tx.w0[x]! + data[r1 + c1]! * tx.w1[x]!);
      out[y * outWidth + x] = h0 * v0 + h1 * v1;
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}

/** The top-left height×width window of a map. */
export function cropMap(map: FloatMap, height: number, width: number): FloatMap {
  if (height > map.height || width > map.width) throw new SamClipError('SHAPE', `Cannot crop ${width}×${height} out of a ${map.width}×${map.height} map.`);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) out.set(map.data.subarray(y * map.width, y * map.width + width), y * width);
  return { width, height, data: out };
}

export interface MaskGeometry {
  /** S: side of the square model input (longest side after resize). */
  imageSize: number;
  /** Size of the resized image inside the padded input. */
  inputSize: ImageSize;
  /** Size of the original image; masks come out at this size. */
  originalSize: ImageSize;
}

/** SamPredictor.postprocess_masks, step by step (materialises the S×S upsampled map). */
export function maskLogitsToImageReference(lowRes: FloatMap, geometry: MaskGeometry): FloatMap {
  const { imageSize, inputSize, originalSize } = geometry;
  const padded = upsampleBilinear(lowRes, imageSize, imageSize);
  const cropped = cropMap(padded, inputSize.height, inputSize.width);
  return upsampleBilinear(cropped, originalSize.height, originalSize.width);
}

/**
 * Decided stretches narrower than this many pixels are evaluated with their neighbours: on a
 * fragmented mask, switching between filling and evaluating costs more than evaluating.
 */
const MIN_DECIDED_WIDTH = 32;

/**
 * Weights mapping each output position of one axis onto a contiguous run of low-res positions:
 * position q reads indices first[q] … first[q] + count[q] − 1 with weights weight[q·slots + s].
 * Upsampling M → S then resizing composes two 2-tap filters into one of at most 3 distinct taps
 * (usually 2), so evaluating the composed filter costs 2–3 multiply-adds per axis, not 4.
 */
interface ComposedTaps extends ResampleTaps {
  /**
   * Output positions [decidedFrom[p], decidedTo[q]) read only low-res indices p..q: where those
   * cells are all decided, so is that stretch of the output.
   */
  decidedFrom: Int32Array;
  decidedTo: Int32Array;
  /** The fewest consecutive low-res indices whose decided stretch can reach {@link MIN_DECIDED_WIDTH}. */
  decidingSpan: number;
}

function composeAxis(lowResSize: number, imageSize: number, inputSize: number, outSize: number): ComposedTaps {
  const up = bilinearAxisTaps(lowResSize, imageSize);
  const down = bilinearAxisTaps(inputSize, outSize);
  const index = new Int32Array(outSize * 4);
  const raw = new Float64Array(outSize * 4);
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  let slots = 1;
  for (let q = 0; q < outSize; q++) {
    const d0 = down.i0[q]!;
    const d1 = down.i1[q]!;
    const k = q * 4;
    index[k] = up.i0[d0]!;
    raw[k] = down.w0[q]! * up.w0[d0]!;
    index[k + 1] = up.i1[d0]!;
    raw[k + 1] = down.w0[q]! * up.w1[d0]!;
    index[k + 2] = up.i0[d1]!;
    raw[k + 2] = down.w1[q]! * up.w0[d1]!;
    index[k + 3] = up.i1[d1]!;
    raw[k + 3] = down.w1[q]! * up.w1[d1]!;
    let lo = Number.MAX_SAFE_INTEGER;
    let hi = -1;
    for (let t = k; t < k + 4; t++) {
      if (raw[t]! === 0) continue;
      if (index[t]! < lo) lo = index[t]!;
      if (index[t]! > hi) hi = index[t]!;
    }
    // Bilinear weights sum to 1, so some tap is non-zero; the guard keeps a degenerate axis readable.
    if (hi < 0) lo = hi = index[k]!;
    first[q] = lo;
    count[q] = hi - lo + 1;
    if (hi - lo + 1 > slots) slots = hi - lo + 1;
  }
  const summed = new Float64Array(outSize * slots);
  for (let q = 0; q < outSize; q++) {
    for (let t = q * 4; t < q * 4 + 4; t++) {
      const slot = q * slots + index[t]! - first[q]!;
      if (raw[t]! !== 0) summed[slot] = summed[slot]! + raw[t]!;
    }
  }
  return { first, count, slots, weight: Float32Array.from(summed), ...decidedBounds(first, count, lowResSize) };
}

/**
 * {@link ComposedTaps.decidedFrom}, decidedTo and decidingSpan. The bounds come from the running
 * min of the first index read (from the right) and max of the last (from the left), so they hold
 * without assuming the taps move monotonically.
 */
function decidedBounds(first: Int32Array, count: Int32Array, lowResSize: number): { decidedFrom: Int32Array; decidedTo: Int32Array; decidingSpan: number } {
  const n = first.length;
  const decidedFrom = new Int32Array(lowResSize);
  const decidedTo = new Int32Array(lowResSize);
  const minFirstFrom = new Int32Array(n + 1);
  minFirstFrom[n] = lowResSize;
  for (let x = n - 1; x >= 0; x--) minFirstFrom[x] = Math.min(first[x]!, minFirstFrom[x + 1]!);
  let x = 0;
  for (let p = 0; p < lowResSize; p++) {
    while (x < n && minFirstFrom[x]! < p) x++;
    decidedFrom[p] = x;
  }
  let maxLast = -1;
  x = 0;
  for (let q = 0; q < lowResSize; q++) {
    while (x < n && Math.max(maxLast, first[x]! + count[x]! - 1) <= q) {
      maxLast = Math.max(maxLast, first[x]! + count[x]! - 1);
      x++;
    }
    decidedTo[q] = x;
  }
  // Both bounds only grow with the index, so the shortest span ending past each start moves forward.
  let decidingSpan = lowResSize + 1;
  let q = 0;
  for (let p = 0; p < lowResSize; p++) {
    q = Math.max(q, p);
    while (q < lowResSize && decidedTo[q]! - decidedFrom[p]! < MIN_DECIDED_WIDTH) q++;
    if (q < lowResSize) decidingSpan = Math.min(decidingSpan, q - p + 1);
  }
  return { decidedFrom, decidedTo, decidingSpan };
}

/** The last geometry's composed taps: the masks of one image share them. */
let tapsCache: { key: string; ax: ComposedTaps; ay: ComposedTaps } | undefined;

function composedTaps(lowRes: FloatMap, geometry: MaskGeometry): { ax: ComposedTaps; ay: ComposedTaps } {
  const { imageSize, inputSize, originalSize } = geometry;
  const key = `${lowRes.width}×${lowRes.height} ${imageSize} ${inputSize.width}×${inputSize.height} ${originalSize.width}×${originalSize.height}`;
  if (tapsCache?.key !== key) {
    tapsCache = {
      key,
      ax: composeAxis(lowRes.width, imageSize, inputSize.width, originalSize.width),
      ay: composeAxis(lowRes.height, imageSize, inputSize.height, originalSize.height),
    };
  }
  return tapsCache;
}

/** Output positions [first, last] of an axis that read a low-res index in [lo, hi] with non-zero weight. */
function reachedRange(taps: ComposedTaps, lo: number, hi: number): [number, number] {
  let first = -1;
  let last = -2;
  const n = taps.first.length;
  for (let q = 0; q < n; q++) {
    for (let s = 0; s < taps.count[q]!; s++) {
      const i = taps.first[q]! + s;
      if (taps.weight[q * taps.slots + s]! !== 0 && i >= lo && i <= hi) {
        if (first < 0) first = q;
        last = q;
        break;
      }
    }
  }
  return [first, last];
}

/** Low-res rows [rowMin, rowMax] read by output rows y0..y1. */
function rowsRead(ay: ComposedTaps, y0: number, y1: number): [number, number] {
  let rowMin = Number.MAX_SAFE_INTEGER;
  let rowMax = -1;
  for (let y = y0; y <= y1; y++) {
    rowMin = Math.min(rowMin, ay.first[y]!);
    rowMax = Math.max(rowMax, ay.first[y]! + ay.count[y]! - 1);
  }
  return [rowMin, rowMax];
}

/**
 * The vertical pass for output row y, columns from..to − 1 of a horizontal block whose rows start
 * at low-res row rowMin and are rowWidth apart, into out[from..to − 1], with the kernel's float32
 * arithmetic: v = ((h0·w0 + h1·w1) + h2·w2) + …, each product and sum rounded.
 */
function verticalValues(ay: ComposedTaps, y: number, block: Float32Array, rowMin: number, rowWidth: number, out: Float32Array, from: number, to: number): void {
  const k = y * ay.slots;
  const c = ay.count[y]!;
  const h0 = (ay.first[y]! - rowMin) * rowWidth;
  const round = Math.fround;
  for (let i = from; i < to; i++) {
    let v = round(block[h0 + i]! * ay.weight[k]!);
    for (let s = 1; s < c; s++) v = round(v + round(block[h0 + s * rowWidth + i]! * ay.weight[k + s]!));
    out[i] = v;
  }
}

/**
 * Low-res logits → logits at the original size, equal to {@link maskLogitsToImageReference} up to
 * float rounding, without building the S×S intermediate: the upsample, crop and resize compose
 * into one ≤3-tap filter per axis, applied horizontally then vertically.
 */
export function maskLogitsToImage(lowRes: FloatMap, geometry: MaskGeometry): FloatMap {
  const { ax, ay } = composedTaps(lowRes, geometry);
  const { width, height } = geometry.originalSize;
  const out = new Float32Array(width * height);
  const [rowMin, rowMax] = rowsRead(ay, 0, height - 1);
  const block = new Float32Array((rowMax - rowMin + 1) * width);
  horizontalPass(lowRes.data, lowRes.width, ax, { rowMin, rowMax, x0: 0, x1: width - 1 }, block);
  for (let y = 0; y < height; y++) verticalValues(ay, y, block, rowMin, width, out.subarray(y * width, (y + 1) * width), 0, width);
  return { width, height, data: out };
}

/**
 * Relative margin by which a low-res cell must clear the threshold before the pixels reading only
 * such cells are decided without evaluating them: the composed weights are float32 and sum to 1
 * only up to rounding (≈1e-7), and evaluating a pixel rounds each of its at most six products and
 * sums to float32 (≈4e-7 relative in all).
 */
const DECIDED_MARGIN = 1e-5;

/** Flags of a low-res cell; a pixel is decided when all the cells it reads share one. */
const CLEARLY_ABOVE = 1;
const CLEARLY_BELOW = 2;

/** {@link CLEARLY_ABOVE}, {@link CLEARLY_BELOW}, or 0 for a cell too close to the threshold to decide. */
function cellFlag(value: number, threshold: number): number {
  const margin = DECIDED_MARGIN * (Math.abs(value) + Math.abs(threshold)) + 1e-30;
  // threshold − value is exactly −(value − threshold): subtraction rounds symmetrically.
  const excess = value - threshold;
  return +(excess > margin) * CLEARLY_ABOVE + +(-excess > margin) * CLEARLY_BELOW;
}

/** The box [u0, v0, u1, v1] of the low-res cells above the threshold, or undefined if none is. */
function cellsAboveBox(lowRes: FloatMap, threshold: number): [number, number, number, number] | undefined {
  const { width, height, data } = lowRes;
  let u0 = width;
  let v0 = -1;
  let u1 = -1;
  let v1 = -1;
  // Each row is scanned from both ends only until its first and last cells above the threshold
  // (`!(a > b)` keeps NaN below it), which on a fragmented mask is a few cells.
  for (let v = 0; v < height; v++) {
    const row = v * width;
    let first = 0;
    while (first < width && !(data[row + first]! > threshold)) first++;
    if (first === width) continue;
    let last = width - 1;
    while (last > u1 && !(data[row + last]! > threshold)) last--;
    if (v0 < 0) v0 = v;
    v1 = v;
    if (first < u0) u0 = first;
    if (last > u1) u1 = last;
  }
  return v0 < 0 ? undefined : [u0, v0, u1, v1];
}

/**
 * Splits output columns x0..x1 of the rows reading low-res rows [windowFirst, windowFirst + windowCount)
 * into stretches: segStart[i]..segStart[i + 1] − 1 is filled (segFlags CLEARLY_ABOVE), left clear
 * (CLEARLY_BELOW) or evaluated (0). Returns the number of stretches.
 */
function windowStretches(
  cellFlags: Uint8Array,
  lowResWidth: number,
  windowFirst: number,
  windowCount: number,
  uFirst: number,
  uLast: number,
  ax: ComposedTaps,
  x0: number,
  x1: number,
  columnFlags: Uint8Array,
  segStart: Int32Array,
  segFlags: Uint8Array,
): number {
  for (let u = uFirst; u <= uLast; u++) {
    let flags = cellFlags[windowFirst * lowResWidth + u]!;
    for (let r = windowFirst + 1; r < windowFirst + windowCount; r++) flags &= cellFlags[r * lowResWidth + u]!;
    columnFlags[u] = flags;
  }
  let segments = 0;
  let evaluateFrom = x0;
  // A streak of equally flagged columns wide enough to matter spans at least decidingSpan columns,
  // so it contains one of every decidingSpan-th column: look only there, then grow the streak.
  let handled = uFirst - 1;
  for (let probe = uFirst; probe <= uLast; probe += ax.decidingSpan) {
    const flags = columnFlags[probe]!;
    if (flags === 0 || probe <= handled) continue;
    let p = probe;
    while (p > handled + 1 && columnFlags[p - 1] === flags) p--;
    let q = probe;
    while (q < uLast && columnFlags[q + 1] === flags) q++;
    handled = q;
    const start = Math.max(ax.decidedFrom[p]!, x0);
    const end = Math.min(ax.decidedTo[q]!, x1 + 1);
    if (end - start >= MIN_DECIDED_WIDTH) {
      if (start > evaluateFrom) {
        segStart[segments] = evaluateFrom;
        segFlags[segments++] = 0;
      }
      segStart[segments] = start;
      segFlags[segments++] = flags;
      evaluateFrom = end;
    }
  }
  if (evaluateFrom <= x1) {
    segStart[segments] = evaluateFrom;
    segFlags[segments++] = 0;
  }
  segStart[segments] = x1 + 1;
  return segments;
}

/**
 * {@link maskLogitsToImage} thresholded, with the mask's area and box gathered in the same pass,
 * bit-identical to thresholding the full map. The composed weights are non-negative and sum to 1,
 * so a pixel is a convex combination of the ≤3×3 low-res cells it reads: where all of them are
 * clearly above the threshold a whole stretch of the row is set at once, where all are clearly
 * below it stays clear, and only the other stretches — the mask's boundary — are evaluated. Only
 * the region reached by low-res cells above the threshold is visited. The path for every mask the
 * SDK returns without logits (prompted segmentation, automatic generation).
 */
export function maskFromLogits(lowRes: FloatMap, geometry: MaskGeometry, threshold = 0, kernel: 'auto' | 'js' = 'auto'): { mask: BinaryMask } & MaskStats {
  const { width, height } = geometry.originalSize;
  const empty = (): { mask: BinaryMask } & MaskStats => ({ mask: { width, height, data: new Uint8Array(width * height) }, area: 0, bbox: [0, 0, 0, 0] });
  const above = cellsAboveBox(lowRes, threshold);
  if (!above) return empty();
  const { ax, ay } = composedTaps(lowRes, geometry);
  const [x0, x1] = reachedRange(ax, above[0], above[2]);
  const [y0, y1] = reachedRange(ay, above[1], above[3]);
  if (x0 < 0 || y0 < 0) return empty();
  const [rowMin, rowMax] = rowsRead(ay, y0, y1);
  const workspace = maskWorkspace(lowRes.data, lowRes.width, ax, { rowMin, rowMax, x0, x1 }, width * height, { from: y0 * width, to: (y1 + 1) * width }, kernel);
  const rowArea = new Int32Array(height);
  thresholdRegion(lowRes, ax, ay, x0, x1, y0, y1, threshold, workspace, width, rowArea);
  // Only the rows from the first to the last with a set pixel go into the caller's array.
  let first = y0;
  while (first <= y1 && rowArea[first] === 0) first++;
  let last = y1;
  while (last >= first && rowArea[last] === 0) last--;
  const mask = first > last ? workspace.takeMask(0, 0) : workspace.takeMask(first * width + x0, last * width + x1 + 1);
  return maskWithStats(mask, width, height, rowArea, x0, x1);
}

/**
 * Thresholds output rows y0..y1, columns x0..x1 into the workspace's mask (rows `width` apart),
 * adding each row's count of set pixels to rowArea.
 */
function thresholdRegion(lowRes: FloatMap, ax: ComposedTaps, ay: ComposedTaps, x0: number, x1: number, y0: number, y1: number, threshold: number, workspace: MaskWorkspace, width: number, rowArea: Int32Array): void {
  const M = lowRes.width;
  const uFirst = ax.first[x0]!;
  const uLast = ax.first[x1]! + ax.count[x1]! - 1;
  const [rowMin, rowMax] = rowsRead(ay, y0, y1);
  const cellFlags = classifyCells(lowRes, threshold, uFirst, uLast, rowMin, rowMax);
  const columnFlags = new Uint8Array(M);
  const segStart = new Int32Array(2 * M + 2);
  const segFlags = new Uint8Array(2 * M + 1);
  const rowWidth = x1 - x0 + 1;
  const { mask, weights, counts } = workspace;
  const kernelThreshold = float32Threshold(threshold);
  for (let y = y0; y <= y1; ) {
    // Output rows y..groupEnd−1 read the same low-res rows, so they share their stretches.
    let groupEnd = y + 1;
    while (groupEnd <= y1 && ay.first[groupEnd] === ay.first[y] && ay.count[groupEnd] === ay.count[y]) groupEnd++;
    const segments = windowStretches(cellFlags, M, ay.first[y]!, ay.count[y]!, uFirst, uLast, ax, x0, x1, columnFlags, segStart, segFlags);
    const taps = ay.count[y]!;
    const h0 = (ay.first[y]! - rowMin) * rowWidth;
    for (let segment = 0; segment < segments; segment++) {
      const start = segStart[segment]!;
      const end = segStart[segment + 1]!;
      const flags = segFlags[segment]!;
      if (flags === CLEARLY_ABOVE) {
        for (let row = y; row < groupEnd; row++) {
          mask.fill(1, row * width + start, row * width + end);
          rowArea[row] = rowArea[row]! + end - start;
        }
      } else if (flags === 0 && taps > 3) {
        // Wider filters than the kernel takes (tiny models only): the same arithmetic, row by row.
        const values = new Float32Array(rowWidth);
        for (let row = y; row < groupEnd; row++) {
          verticalValues(ay, row, workspace.block, rowMin, rowWidth, values, start - x0, end - x0);
          let set = 0;
          for (let x = start; x < end; x++) {
            const bit = +(values[x - x0]! > kernelThreshold);
            mask[row * width + x] = bit;
            set += bit;
          }
          rowArea[row] = rowArea[row]! + set;
        }
      }
    }
    if (taps <= 3) {
      // The kernel's stretches, KERNEL_ROWS rows at a time: the rows' weights are set, and their
      // counts gathered, once for all the stretches (a fragmented mask has dozens per row).
      for (let row = y; row < groupEnd; row += KERNEL_ROWS) {
        const rows = Math.min(KERNEL_ROWS, groupEnd - row);
        for (let k = 0; k < rows; k++) {
          const at = (row + k) * ay.slots;
          weights[3 * k] = ay.weight[at]!;
          weights[3 * k + 1] = taps >= 2 ? ay.weight[at + 1]! : 0;
          weights[3 * k + 2] = taps >= 3 ? ay.weight[at + 2]! : 0;
          counts[k] = 0;
        }
        for (let segment = 0; segment < segments; segment++) {
          if (segFlags[segment] !== 0) continue;
          const start = segStart[segment]!;
          const h = h0 + start - x0;
          workspace.thresholdRows(taps, h, h + rowWidth, h + 2 * rowWidth, segStart[segment + 1]! - start, rows, kernelThreshold, row * width + start, width);
        }
        for (let k = 0; k < rows; k++) rowArea[row + k] = rowArea[row + k]! + counts[k]!;
      }
    }
    y = groupEnd;
  }
}

/** The {@link cellFlag} of each low-res cell in columns u0..u1 of rows v0..v1 (others 0). */
function classifyCells(lowRes: FloatMap, threshold: number, u0: number, u1: number, v0: number, v1: number): Uint8Array {
  const { width, data } = lowRes;
  const flags = new Uint8Array(data.length);
  for (let v = v0; v <= v1; v++) for (let u = u0; u <= u1; u++) flags[v * width + u] = cellFlag(data[v * width + u]!, threshold);
  return flags;
}

/** The mask with its area and box, given each row's count of set pixels and that none lies outside columns x0..x1. */
function maskWithStats(data: Uint8Array, width: number, height: number, rowArea: Int32Array, x0: number, x1: number): { mask: BinaryMask } & MaskStats {
  let area = 0;
  let bx0 = x1 + 1;
  let bx1 = x0 - 1;
  let by0 = -1;
  let by1 = -1;
  for (let y = 0; y < height; y++) {
    if (rowArea[y] === 0) continue;
    area += rowArea[y]!;
    if (by0 < 0) by0 = y;
    by1 = y;
    // Only pixels that would widen the box found so far need looking at.
    const base = y * width;
    for (let x = x0; x < bx0; x++) {
      if (data[base + x]) {
        bx0 = x;
        break;
      }
    }
    for (let x = x1; x > bx1; x--) {
      if (data[base + x]) {
        bx1 = x;
        break;
      }
    }
  }
  const bbox: [number, number, number, number] = area === 0 ? [0, 0, 0, 0] : [bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1];
  return { mask: { width, height, data }, area, bbox };
}

/** Pixels whose logit is above `threshold` (SAM's mask_threshold is 0). */
export function thresholdMap(map: FloatMap, threshold = 0): BinaryMask {
  const data = new Uint8Array(map.data.length);
  for (let i = 0; i < data.length; i++) data[i] = map.data[i]! > threshold ? 1 : 0;
  return { width: map.width, height: map.height, data };
}

/** One M×M plane of a [1, K, M, M] low-res logits tensor. */
export function maskPlane(data: Float32Array, planeIndex: number, height: number, width: number): FloatMap {
  const size = height * width;
  if ((planeIndex + 1) * size > data.length) throw new SamClipError('SHAPE', `Mask plane ${planeIndex} of ${width}×${height} is beyond a tensor of ${data.length} values.`);
  return { width, height, data: data.subarray(planeIndex * size, (planeIndex + 1) * size) };
}

/**
 * How many low-res rows and columns, from the top left, SamPredictor.postprocess_masks reads from
 * an M×M map for `geometry`: the S×S upsampling's bilinear taps (the position and the next one) for
 * the resized image's pixels, before the crop. The rest of the map only covers padding.
 */
export function lowResExtentRead(geometry: MaskGeometry, maskSize: number): { rows: number; cols: number } {
  const cellsPerPixel = maskSize / geometry.imageSize;
  const side = (resized: number): number => {
    // Input pixel p of the S×S map reads position (p + 0.5)·M/S − 0.5 (floored, at least 0) and the next.
    const lastRead = Math.max(0, Math.floor((resized - 0.5) * cellsPerPixel - 0.5)) + 1;
    return Math.min(maskSize, lastRead + 1);
  };
  return { rows: side(geometry.inputSize.height), cols: side(geometry.inputSize.width) };
}

/**
 * {@link lowResExtentRead} in embedding tokens: the top-left rows × columns of a `grid` whose tokens
 * each cover maskSize / grid low-res cells on a side (what a decoder's upscaling must compute).
 */
export function gridExtentRead(geometry: MaskGeometry, maskSize: number, grid: { rows: number; cols: number }): { rows: number; cols: number } {
  const { rows, cols } = lowResExtentRead(geometry, maskSize);
  return { rows: Math.min(grid.rows, Math.ceil((rows * grid.rows) / maskSize)), cols: Math.min(grid.cols, Math.ceil((cols * grid.cols) / maskSize)) };
}

/**
 * Plane `planeIndex` of [K, height, width] logits, placed at the top left of a size × size map
 * whose remaining cells repeat the plane's last row and column: the map the post-processing
 * expects, when the decoder computed only the part of it that {@link lowResExtentRead} reads.
 */
export function paddedMaskPlane(data: Float32Array, planeIndex: number, height: number, width: number, size: number): FloatMap {
  const plane = maskPlane(data, planeIndex, height, width);
  if (height === size && width === size) return plane;
  if (height > size || width > size || height === 0 || width === 0) throw new SamClipError('SHAPE', `A ${width}×${height} mask plane does not fit a ${size}×${size} map.`);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const source = plane.data.subarray(Math.min(y, height - 1) * width, Math.min(y, height - 1) * width + width);
    out.set(source, y * size);
    out.fill(source[width - 1]!, y * size + width, (y + 1) * size);
  }
  return { width: size, height: size, data: out };
}

export interface MaskStats {
  /** Number of foreground pixels. */
  area: number;
  /** Tight bounding box in COCO's [x, y, width, height]; [0, 0, 0, 0] for an empty mask. */
  bbox: [number, number, number, number];
}

export function maskStats(mask: BinaryMask): MaskStats {
  const { width, height, data } = mask;
  let area = 0;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (data[row + x]) {
        area++;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (area === 0) return { area, bbox: [0, 0, 0, 0] };
  return { area, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1] };
}

/**
 * SAM's stability score: IoU between the masks thresholded at `threshold + offset` and
 * `threshold − offset` (the first is a subset of the second). An all-empty pair scores 1.
 */
export function stabilityScore(logits: FloatMap | Float32Array, threshold = 0, offset = 1): number {
  const data = logits instanceof Float32Array ? logits : logits.data;
  const high = threshold + offset;
  const low = threshold - offset;
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > high) intersection++;
    if (v > low) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

/** Intersection over union of two same-sized masks (1 when both are empty). */
export function maskIoU(a: BinaryMask, b: BinaryMask): number {
  if (a.width !== b.width || a.height !== b.height) throw new SamClipError('SHAPE', `Cannot compare a ${a.width}×${a.height} mask with a ${b.width}×${b.height} mask.`);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const p = a.data[i]! !== 0;
    const q = b.data[i]! !== 0;
    if (p && q) intersection++;
    if (p || q) union++;
  }
  return union === 0 ? 1 : intersection / union;
}
