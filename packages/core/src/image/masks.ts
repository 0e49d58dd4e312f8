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
 * Weights mapping each output position of one axis onto a contiguous run of low-res positions:
 * position q reads indices first[q] … first[q] + count[q] − 1 with weights weight[q·slots + s].
 * Upsampling M → S then resizing composes two 2-tap filters into one of at most 3 distinct taps
 * (usually 2), so evaluating the composed filter costs 2–3 multiply-adds per axis, not 4.
 */
interface ComposedTaps {
  first: Int32Array;
  count: Int32Array;
  /** Weight slots per position (the largest count). */
  slots: number;
  weight: Float64Array;
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
  const weight = new Float64Array(outSize * slots);
  for (let q = 0; q < outSize; q++) {
    for (let t = q * 4; t < q * 4 + 4; t++) {
      const slot = q * slots + index[t]! - first[q]!;
      if (raw[t]! !== 0) weight[slot] = weight[slot]! + raw[t]!;
    }
  }
  return { first, count, slots, weight };
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

/**
 * The horizontal pass for one low-res row: out[x − x0] for output columns x0..x1.
 */
function horizontalPass(lowRes: FloatMap, ax: ComposedTaps, row: number, x0: number, x1: number, out: Float64Array): void {
  const data = lowRes.data;
  const base = row * lowRes.width;
  const { first, count, weight, slots } = ax;
  for (let x = x0; x <= x1; x++) {
    const src = base + first[x]!;
    const k = x * slots;
    const c = count[x]!;
    let value = data[src]! * weight[k]!;
    for (let s = 1; s < c; s++) value += data[src + s]! * weight[k + s]!;
    out[x - x0] = value;
  }
}

/**
 * The vertical pass for output row y: the row's composed filter over the horizontal rows
 * (`rows[r − rowMin]` holds low-res row r), for columns from..to−1 of a region starting at x0.
 * Calls `visit(x, value)` per column, value rounded to float32 as maskLogitsToImage stores it.
 */
function verticalValues(ay: ComposedTaps, y: number, rows: readonly Float64Array[], rowMin: number, out: Float32Array, from: number, to: number): void {
  const k = y * ay.slots;
  const c = ay.count[y]!;
  const r = ay.first[y]! - rowMin;
  const h0 = rows[r]!;
  const w0 = ay.weight[k]!;
  if (c === 1) {
    for (let i = from; i < to; i++) out[i] = h0[i]! * w0;
    return;
  }
  const h1 = rows[r + 1]!;
  const w1 = ay.weight[k + 1]!;
  if (c === 2) {
    for (let i = from; i < to; i++) out[i] = h0[i]! * w0 + h1[i]! * w1;
    return;
  }
  const h2 = rows[r + 2]!;
  const w2 = ay.weight[k + 2]!;
  if (c === 3) {
    for (let i = from; i < to; i++) out[i] = h0[i]! * w0 + h1[i]! * w1 + h2[i]! * w2;
    return;
  }
  for (let i = from; i < to; i++) {
    let value = h0[i]! * w0 + h1[i]! * w1 + h2[i]! * w2;
    for (let s = 3; s < c; s++) value += rows[r + s]![i]! * ay.weight[k + s]!;
    out[i] = value;
  }
}

/**
 * {@link verticalValues} thresholded in the same loop: writes (value rounded to float32) > threshold
 * as 0/1 into out[offset + i] for i in from..to−1, without branching per pixel; returns how many are set.
 */
function verticalThreshold(ay: ComposedTaps, y: number, rows: readonly Float64Array[], rowMin: number, from: number, to: number, threshold: number, out: Uint8Array, offset: number): number {
  const k = y * ay.slots;
  const c = ay.count[y]!;
  const r = ay.first[y]! - rowMin;
  const h0 = rows[r]!;
  const w0 = ay.weight[k]!;
  let set = 0;
  if (c === 2) {
    const h1 = rows[r + 1]!;
    const w1 = ay.weight[k + 1]!;
    for (let i = from; i < to; i++) {
      const bit = Math.fround(h0[i]! * w0 + h1[i]! * w1) > threshold ? 1 : 0;
      out[offset + i] = bit;
      set += bit;
    }
    return set;
  }
  if (c === 3) {
    const h1 = rows[r + 1]!;
    const h2 = rows[r + 2]!;
    const w1 = ay.weight[k + 1]!;
    const w2 = ay.weight[k + 2]!;
    for (let i = from; i < to; i++) {
      const bit = Math.fround(h0[i]! * w0 + h1[i]! * w1 + h2[i]! * w2) > threshold ? 1 : 0;
      out[offset + i] = bit;
      set += bit;
    }
    return set;
  }
  for (let i = from; i < to; i++) {
    let value = h0[i]! * w0;
    for (let t = 1; t < c; t++) value += rows[r + t]![i]! * ay.weight[k + t]!;
    const bit = Math.fround(value) > threshold ? 1 : 0;
    out[offset + i] = bit;
    set += bit;
  }
  return set;
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

function composedTaps(lowRes: FloatMap, geometry: MaskGeometry): { ax: ComposedTaps; ay: ComposedTaps } {
  const { imageSize, inputSize, originalSize } = geometry;
  return {
    ax: composeAxis(lowRes.width, imageSize, inputSize.width, originalSize.width),
    ay: composeAxis(lowRes.height, imageSize, inputSize.height, originalSize.height),
  };
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
  const rows: Float64Array[] = [];
  for (let r = rowMin; r <= rowMax; r++) {
    const row = new Float64Array(width);
    horizontalPass(lowRes, ax, r, 0, width - 1, row);
    rows.push(row);
  }
  for (let y = 0; y < height; y++) verticalValues(ay, y, rows, rowMin, out.subarray(y * width, (y + 1) * width), 0, width);
  return { width, height, data: out };
}

/**
 * Relative margin by which a window's extreme must clear the threshold before the pixels reading
 * only that window are decided without evaluating them: the composed weights sum to 1 only up to
 * float32 rounding (≈1e-7), and evaluated values are rounded to float32.
 */
const DECIDED_MARGIN = 1e-5;

/** 1: every value in the window is above the threshold; 0: none is; 2: the window straddles it. */
function windowDecision(min: number, max: number, threshold: number): 0 | 1 | 2 {
  if (min - threshold > DECIDED_MARGIN * (Math.abs(min) + Math.abs(threshold)) + 1e-30) return 1;
  if (threshold - max > DECIDED_MARGIN * (Math.abs(max) + Math.abs(threshold)) + 1e-30) return 0;
  return 2;
}

/**
 * {@link maskLogitsToImage} thresholded, with the mask's area and box gathered in the same pass,
 * bit-identical to thresholding the full map. The composed weights are non-negative and sum to 1,
 * so a pixel is a convex combination of the ≤3×3 low-res cells it reads: where all of them are
 * above the threshold a whole stretch of the row is set at once, where none is it stays clear, and
 * only stretches whose cells straddle the threshold — the mask's boundary — are evaluated. Only
 * the region reached by low-res cells above the threshold is visited. The path for every mask the
 * SDK returns without logits (prompted segmentation, automatic generation).
 */
export function maskFromLogits(lowRes: FloatMap, geometry: MaskGeometry, threshold = 0): { mask: BinaryMask } & MaskStats {
  const { width, height } = geometry.originalSize;
  const data = new Uint8Array(width * height);
  const M = lowRes.width;
  const low = lowRes.data;
  let u0 = M;
  let v0 = lowRes.height;
  let u1 = -1;
  let v1 = -1;
  for (let v = 0; v < lowRes.height; v++) {
    for (let u = 0; u < M; u++) {
      if (low[v * M + u]! > threshold) {
        if (u < u0) u0 = u;
        if (u > u1) u1 = u;
        if (v < v0) v0 = v;
        v1 = v;
      }
    }
  }
  const empty = { mask: { width, height, data }, area: 0, bbox: [0, 0, 0, 0] as [number, number, number, number] };
  if (u1 < 0) return empty;
  const { ax, ay } = composedTaps(lowRes, geometry);
  const [x0, x1] = reachedRange(ax, u0, u1);
  const [y0, y1] = reachedRange(ay, v0, v1);
  if (x0 < 0 || y0 < 0) return empty;
  const regionWidth = x1 - x0 + 1;

  // Runs of columns in [x0, x1] that read the same low-res columns.
  const runList: number[] = [];
  for (let x = x0; x <= x1; x++) if (x === x0 || ax.first[x] !== ax.first[x - 1] || ax.count[x] !== ax.count[x - 1]) runList.push(x);
  const runCount = runList.length;
  runList.push(x1 + 1);
  const runStart = Int32Array.from(runList);

  // Horizontal rows, computed the first time a straddling stretch needs them.
  const [rowMin, rowMax] = rowsRead(ay, y0, y1);
  const rows: Float64Array[] = [];
  const rowReady = new Uint8Array(rowMax - rowMin + 1);
  for (let r = rowMin; r <= rowMax; r++) rows.push(new Float64Array(regionWidth));

  // Per low-res row window (the rows an output row reads), one decision per run of columns,
  // merged into stretches [segStart[i], segStart[i+1]) of equal decision.
  const columnMin = new Float64Array(M);
  const columnMax = new Float64Array(M);
  const segStart = new Int32Array(runCount + 1);
  const segDecision = new Uint8Array(runCount);
  let segments = 0;
  let windowFirst = -1;
  let windowCount = -1;
  // When most of the region straddles the threshold (a fragmented mask), one pass over the whole
  // row is cheaper than stretch by stretch.
  let wholeRow = false;

  let area = 0;
  let bx0 = width;
  let by0 = height;
  let bx1 = -1;
  let by1 = -1;
  for (let y = y0; y <= y1; y++) {
    if (ay.first[y] !== windowFirst || ay.count[y] !== windowCount) {
      windowFirst = ay.first[y]!;
      windowCount = ay.count[y]!;
      const uFirst = ax.first[x0]!;
      const uLast = ax.first[x1]! + ax.count[x1]! - 1;
      for (let u = uFirst; u <= uLast; u++) {
        let min = Infinity;
        let max = -Infinity;
        for (let r = windowFirst; r < windowFirst + windowCount; r++) {
          const value = low[r * M + u]!;
          if (value < min) min = value;
          if (value > max) max = value;
        }
        columnMin[u] = min;
        columnMax[u] = max;
      }
      segments = 0;
      let straddling = 0;
      for (let run = 0; run < runCount; run++) {
        const x = runStart[run]!;
        let min = Infinity;
        let max = -Infinity;
        for (let u = ax.first[x]!; u < ax.first[x]! + ax.count[x]!; u++) {
          if (columnMin[u]! < min) min = columnMin[u]!;
          if (columnMax[u]! > max) max = columnMax[u]!;
        }
        const decision = windowDecision(min, max, threshold);
        if (decision === 2) straddling += runStart[run + 1]! - x;
        if (segments === 0 || segDecision[segments - 1] !== decision) {
          segStart[segments] = x;
          segDecision[segments] = decision;
          segments++;
        }
      }
      segStart[segments] = x1 + 1;
      wholeRow = straddling * 2 > regionWidth;
    }
    const base = y * width;
    let first = -1;
    let last = -1;
    if (wholeRow || segments > 0) {
      for (let s = 0; s < ay.count[y]!; s++) {
        const r = ay.first[y]! + s - rowMin;
        if (!rowReady[r]) {
          horizontalPass(lowRes, ax, r + rowMin, x0, x1, rows[r]!);
          rowReady[r] = 1;
        }
      }
    }
    if (wholeRow) {
      area += verticalThreshold(ay, y, rows, rowMin, 0, regionWidth, threshold, data, base + x0);
    } else {
      for (let segment = 0; segment < segments; segment++) {
        const start = segStart[segment]!;
        const end = segStart[segment + 1]!;
        const decision = segDecision[segment]!;
        if (decision === 1) {
          data.fill(1, base + start, base + end);
          area += end - start;
        } else if (decision === 2) {
          area += verticalThreshold(ay, y, rows, rowMin, start - x0, end - x0, threshold, data, base + x0);
        }
      }
    }
    for (let x = x0; x <= x1; x++) {
      if (data[base + x]) {
        first = x;
        break;
      }
    }
    for (let x = x1; first >= 0 && x >= first; x--) {
      if (data[base + x]) {
        last = x;
        break;
      }
    }
    if (first >= 0) {
      if (first < bx0) bx0 = first;
      if (last > bx1) bx1 = last;
      if (y < by0) by0 = y;
      by1 = y;
    }
  }
  if (area === 0) return empty;
  return { mask: { width, height, data }, area, bbox: [bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1] };
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
