/**
 * Mask post-processing: SAM's low-resolution logits (M×M over the padded S×S input) back to the
 * original image, thresholding, and the per-mask statistics the automatic generator filters on.
 *
 * The reference (SamPredictor.postprocess_masks) upsamples M×M → S×S with bilinear
 * align_corners=false, crops the unpadded h×w region, then resizes to H×W the same way.
 * {@link upsampleBilinear} + {@link cropMap} reproduce that literally; {@link maskLogitsToImage}
 * folds the three steps into one separable filter that only evaluates the region it needs.
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

/** Sparse weights mapping each output position of one axis onto low-res positions (≤ 4 taps). */
interface ComposedTaps {
  /** Index of the first tap per output position. */
  start: Int32Array;
  /** Taps per output position, 4 slots each (unused slots have weight 0). */
  index: Int32Array;
  weight: Float64Array;
}

function composeAxis(lowResSize: number, imageSize: number, inputSize: number, outSize: number): ComposedTaps {
  const up = bilinearAxisTaps(lowResSize, imageSize);
  const down = bilinearAxisTaps(inputSize, outSize);
  const start = new Int32Array(outSize);
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let q = 0; q < outSize; q++) {
    const taps: Array<[number, number]> = [
      [up.i0[down.i0[q]!]!, down.w0[q]! * up.w0[down.i0[q]!]!],
      [up.i1[down.i0[q]!]!, down.w0[q]! * up.w1[down.i0[q]!]!],
      [up.i0[down.i1[q]!]!, down.w1[q]! * up.w0[down.i1[q]!]!],
      [up.i1[down.i1[q]!]!, down.w1[q]! * up.w1[down.i1[q]!]!],
    ];
    start[q] = Math.min(...taps.map((t) => t[0]));
    for (let t = 0; t < 4; t++) {
      index[q * 4 + t] = taps[t]![0];
      weight[q * 4 + t] = taps[t]![1];
    }
  }
  return { start, index, weight };
}

/** Output positions [first, last] of an axis whose taps read a low-res index in [lo, hi] with non-zero weight. */
function reachedRange(taps: ComposedTaps, lo: number, hi: number): [number, number] {
  let first = -1;
  let last = -2;
  const n = taps.index.length / 4;
  for (let q = 0; q < n; q++) {
    for (let t = 0; t < 4; t++) {
      const i = taps.index[q * 4 + t]!;
      if (taps.weight[q * 4 + t]! !== 0 && i >= lo && i <= hi) {
        if (first < 0) first = q;
        last = q;
        break;
      }
    }
  }
  return [first, last];
}

/**
 * Evaluates the composed filter on output rows [y0, y1] × columns [x0, x1], calling `emit(y, row)`
 * with the row's values for columns x0..x1.
 */
function resampleRegion(
  lowRes: FloatMap,
  ax: ComposedTaps,
  ay: ComposedTaps,
  region: { x0: number; x1: number; y0: number; y1: number },
  emit: (y: number, row: Float32Array) => void,
): void {
  const { x0, x1, y0, y1 } = region;
  const width = x1 - x0 + 1;
  // Low-res rows the region's output rows read.
  let rowMin = lowRes.height;
  let rowMax = -1;
  for (let i = y0 * 4; i < (y1 + 1) * 4; i++) {
    if (ay.weight[i] !== 0) {
      rowMin = Math.min(rowMin, ay.index[i]!);
      rowMax = Math.max(rowMax, ay.index[i]!);
    }
  }
  const M = lowRes.width;
  const rows = Math.max(rowMax - rowMin + 1, 0);
  const horizontal = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const src = (r + rowMin) * M;
    const dst = r * width;
    for (let x = x0; x <= x1; x++) {
      const k = x * 4;
      horizontal[dst + x - x0] =
        lowRes.data[src + ax.index[k]!]! * ax.weight[k]! +
        lowRes.data[src + ax.index[k + 1]!]! * ax.weight[k + 1]! +
        lowRes.data[src + ax.index[k + 2]!]! * ax.weight[k + 2]! +
        lowRes.data[src + ax.index[k + 3]!]! * ax.weight[k + 3]!;
    }
  }
  const row = new Float32Array(width);
  for (let y = y0; y <= y1; y++) {
    const k = y * 4;
    const r0 = (ay.index[k]! - rowMin) * width;
    const r1 = (ay.index[k + 1]! - rowMin) * width;
    const r2 = (ay.index[k + 2]! - rowMin) * width;
    const r3 = (ay.index[k + 3]! - rowMin) * width;
    const w0 = ay.weight[k]!;
    const w1 = ay.weight[k + 1]!;
    const w2 = ay.weight[k + 2]!;
    const w3 = ay.weight[k + 3]!;
    for (let x = 0; x < width; x++) row[x] = horizontal[r0 + x]! * w0 + horizontal[r1 + x]! * w1 + horizontal[r2 + x]! * w2 + horizontal[r3 + x]! * w3;
    emit(y, row);
  }
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
 * into one ≤4-tap filter per axis, applied horizontally then vertically.
 */
export function maskLogitsToImage(lowRes: FloatMap, geometry: MaskGeometry): FloatMap {
  const { ax, ay } = composedTaps(lowRes, geometry);
  const { width, height } = geometry.originalSize;
  const out = new Float32Array(width * height);
  resampleRegion(lowRes, ax, ay, { x0: 0, x1: width - 1, y0: 0, y1: height - 1 }, (y, row) => out.set(row, y * width));
  return { width, height, data: out };
}

/**
 * {@link maskLogitsToImage} thresholded, with the mask's area and box gathered in the same pass.
 * Bilinear weights are non-negative and sum to 1, so an output pixel can only exceed the
 * threshold if one of its taps does: only the region reached by low-res cells above the threshold
 * is evaluated. The path for many masks (automatic generation).
 */
export function maskFromLogits(lowRes: FloatMap, geometry: MaskGeometry, threshold = 0): { mask: BinaryMask } & MaskStats {
  const { width, height } = geometry.originalSize;
  const data = new Uint8Array(width * height);
  let u0 = lowRes.width;
  let v0 = lowRes.height;
  let u1 = -1;
  let v1 = -1;
  for (let v = 0; v < lowRes.height; v++) {
    for (let u = 0; u < lowRes.width; u++) {
      if (lowRes.data[v * lowRes.width + u]! > threshold) {
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
  let area = 0;
  let bx0 = width;
  let by0 = height;
  let bx1 = -1;
  let by1 = -1;
  resampleRegion(lowRes, ax, ay, { x0, x1, y0, y1 }, (y, row) => {
    const base = y * width + x0;
    let first = -1;
    let last = -1;
    for (let x = 0; x < row.length; x++) {
      if (row[x]! > threshold) {
        data[base + x] = 1;
        area++;
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      if (first + x0 < bx0) bx0 = first + x0;
      if (last + x0 > bx1) bx1 = last + x0;
      if (y < by0) by0 = y;
      by1 = y;
    }
  });
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
