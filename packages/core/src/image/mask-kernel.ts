/**
 * The kernels of mask post-processing (see `maskFromLogits`): the horizontal pass, and the
 * vertical pass thresholded. As WebAssembly where the runtime has SIMD (mask-kernel.wat: four
 * pixels per step in the vertical pass) and as JavaScript with the same float32 arithmetic where
 * it does not, each with the scratch memory it reads and writes.
 */
import { MASK_KERNEL_WASM_BASE64 } from './mask-kernel-wasm.js';

/** Output rows thresholded per kernel call (the weights and counts areas hold this many). */
export const KERNEL_ROWS = 4;

/**
 * One axis of a composed resampling filter: output position q reads low-res cells first[q] …
 * first[q] + count[q] − 1 with weights weight[q·slots + s].
 */
export interface ResampleTaps {
  first: Int32Array;
  count: Int32Array;
  slots: number;
  weight: Float32Array;
}

/** The pixels of the output mask (row-major) that a `maskFromLogits` call may write: from … to − 1. */
export interface MaskSpan {
  from: number;
  to: number;
}

/** Where a mask's horizontal pass reads: low-res rows rowMin … rowMax, output columns x0 … x1. */
export interface HorizontalRegion {
  rowMin: number;
  rowMax: number;
  x0: number;
  x1: number;
}

/**
 * The horizontal pass in JavaScript: low-res rows rowMin..rowMax of `map` (M cells per row), each
 * filtered to output columns x0..x1, into block, row r at (r − rowMin)·(x1 − x0 + 1), in float32
 * arithmetic (each product and sum rounded, as the WebAssembly kernel rounds them). It runs column
 * by column, so each column's taps and tap count are read once for all rows and the inner loop
 * has no branch on the count: row by row, that branch and the tap loads cost more than the arithmetic.
 */
export function horizontalPass(map: Float32Array, M: number, ax: ResampleTaps, { rowMin, rowMax, x0, x1 }: HorizontalRegion, block: Float32Array): void {
  const rowWidth = x1 - x0 + 1;
  const rowCount = rowMax - rowMin + 1;
  const { first, count, weight, slots } = ax;
  const round = Math.fround;
  for (let x = x0; x <= x1; x++) {
    const k = x * slots;
    const c = count[x]!;
    const w0 = weight[k]!;
    let src = rowMin * M + first[x]!;
    let dst = x - x0;
    // Stored into a Float32Array, the last sum is rounded by the store.
    if (c === 2) {
      const w1 = weight[k + 1]!;
      for (let r = 0; r < rowCount; r++, src += M, dst += rowWidth) block[dst] = round(map[src]! * w0) + round(map[src + 1]! * w1);
    } else if (c === 3) {
      const w1 = weight[k + 1]!;
      const w2 = weight[k + 2]!;
      for (let r = 0; r < rowCount; r++, src += M, dst += rowWidth) block[dst] = round(round(map[src]! * w0) + round(map[src + 1]! * w1)) + round(map[src + 2]! * w2);
    } else {
      for (let r = 0; r < rowCount; r++, src += M, dst += rowWidth) {
        let value = map[src]! * w0;
        for (let s = 1; s < c; s++) value = round(round(value) + round(map[src + s]! * weight[k + s]!));
        block[dst] = value;
      }
    }
  }
}

/**
 * Scratch for one `maskFromLogits` call: the horizontal pass's rows (float32, filled when the
 * workspace is made), the output mask (zero over the span the caller writes), and per call of
 * `thresholdRows` the rows' weights (3 per row: w0, w1, w2) and set-pixel counts, which the call adds to.
 */
export interface MaskWorkspace {
  readonly block: Float32Array;
  readonly mask: Uint8Array;
  readonly weights: Float32Array;
  readonly counts: Int32Array;
  /**
   * Thresholds `rows` (≤ KERNEL_ROWS) output rows reading the same `taps` (1–3) horizontal rows,
   * which start at block[h0], block[h1], block[h2], over `n` pixels: row k is
   * v = (h0·w0 + h1·w1) + h2·w2 in float32 with the weights at weights[3k…3k + 2], and
   * mask[out + k·stride + i] = v > threshold; counts[k] grows by the pixels set. `threshold` must
   * be a float32 value (see {@link float32Threshold}).
   */
  thresholdRows(taps: number, h0: number, h1: number, h2: number, n: number, rows: number, threshold: number, out: number, stride: number): void;
  /**
   * The mask as an array the caller owns (scratch is reused by the next call): pixels from … to − 1
   * as written, zero elsewhere. Only that span of the new array is written, so the pages of a large
   * mask outside it are never touched (a fresh allocation of a megabyte or more is a new mapping
   * whose pages fault in when first written).
   */
  takeMask(from: number, to: number): Uint8Array;
}

/** The SIMD module's exports, or undefined where WebAssembly SIMD is unavailable. */
interface KernelModule {
  memory: WebAssembly.Memory;
  horizontal: (...args: number[]) => void;
  thresholdRows: (...args: number[]) => void;
}

let kernelModule: KernelModule | null | undefined;

function loadKernel(): KernelModule | undefined {
  if (kernelModule === undefined) {
    kernelModule = null;
    try {
      const bytes = Uint8Array.from(atob(MASK_KERNEL_WASM_BASE64), (char) => char.charCodeAt(0));
      // Validation fails on engines without SIMD; a page whose CSP forbids WebAssembly throws.
      if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
        // Small enough (under 4 KB) to compile synchronously even on a browser's main thread.
        const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
        const exports = instance.exports as { memory: WebAssembly.Memory; horizontal: (...args: number[]) => void; threshold_rows: (...args: number[]) => void };
        kernelModule = { memory: exports.memory, horizontal: exports.horizontal, thresholdRows: exports.threshold_rows };
      }
    } catch {
      kernelModule = null;
    }
  }
  return kernelModule ?? undefined;
}

/** Whether `maskFromLogits` runs its kernel as WebAssembly SIMD here. */
export function hasSimdMaskKernel(): boolean {
  return loadKernel() !== undefined;
}

/**
 * The float32 t such that, for every float32 v, v > t exactly when v > threshold: the threshold
 * itself when float32 holds it, else the float32 just below it.
 */
export function float32Threshold(threshold: number): number {
  const rounded = Math.fround(threshold);
  if (!(rounded > threshold)) return rounded;
  const bits = new Float32Array([rounded]);
  const view = new Int32Array(bits.buffer);
  // One ulp towards −∞: the bit pattern moves away from zero for negatives, towards it for positives.
  if (rounded > 0) view[0] = view[0]! - 1;
  else if (rounded < 0) view[0] = view[0]! + 1;
  else view[0] = 0x80000001 | 0;
  return bits[0]!;
}

const WASM_PAGE = 65536;
/** Byte offsets in the module's memory: weights (4 × 3 float32), counts (4 int32), then the block. */
const WEIGHTS_AT = 0;
const COUNTS_AT = 4 * 3 * KERNEL_ROWS;
const BLOCK_AT = 64;

function wasmWorkspace(kernel: KernelModule, map: Float32Array, M: number, ax: ResampleTaps, region: HorizontalRegion, maskLength: number, span: MaskSpan): MaskWorkspace {
  const columns = ax.first.length;
  const blockLength = (region.rowMax - region.rowMin + 1) * (region.x1 - region.x0 + 1);
  // After the block: the mask, then the horizontal pass's inputs (the low-res map and the taps).
  const maskAt = BLOCK_AT + 4 * blockLength;
  const mapAt = (maskAt + maskLength + 3) & ~3;
  const firstAt = mapAt + 4 * map.length;
  const countAt = firstAt + 4 * columns;
  const weightAt = countAt + 4 * columns;
  const needed = weightAt + 4 * ax.weight.length;
  const { memory } = kernel;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
  // Views are taken after growing, which detaches the old buffer.
  const buffer = memory.buffer;
  new Float32Array(buffer, mapAt, map.length).set(map);
  new Int32Array(buffer, firstAt, columns).set(ax.first);
  new Int32Array(buffer, countAt, columns).set(ax.count);
  new Float32Array(buffer, weightAt, ax.weight.length).set(ax.weight);
  kernel.horizontal(mapAt, M, region.rowMin, region.rowMax - region.rowMin + 1, region.x0, region.x1, firstAt, countAt, weightAt, ax.slots, BLOCK_AT);
  const mask = new Uint8Array(buffer, maskAt, maskLength);
  mask.fill(0, span.from, span.to);
  return {
    block: new Float32Array(buffer, BLOCK_AT, blockLength),
    mask,
    weights: new Float32Array(buffer, WEIGHTS_AT, 3 * KERNEL_ROWS),
    counts: new Int32Array(buffer, COUNTS_AT, KERNEL_ROWS),
    thresholdRows: (taps, h0, h1, h2, n, rows, threshold, out, stride) =>
      kernel.thresholdRows(taps, BLOCK_AT + 4 * h0, BLOCK_AT + 4 * h1, BLOCK_AT + 4 * h2, n, WEIGHTS_AT, rows, threshold, maskAt + out, stride, COUNTS_AT),
    takeMask: (from, to) => {
      const out = new Uint8Array(maskLength);
      if (to > from) out.set(mask.subarray(from, to), from);
      return out;
    },
  };
}

/** The horizontal block's scratch on the JavaScript path, kept between calls (1.2 MB at 1800×1200). */
let blockScratch = new Float32Array(0);

function jsWorkspace(map: Float32Array, M: number, ax: ResampleTaps, region: HorizontalRegion, maskLength: number): MaskWorkspace {
  const blockLength = (region.rowMax - region.rowMin + 1) * (region.x1 - region.x0 + 1);
  if (blockScratch.length < blockLength) blockScratch = new Float32Array(blockLength);
  const block = blockScratch.subarray(0, blockLength);
  horizontalPass(map, M, ax, region, block);
  const mask = new Uint8Array(maskLength);
  const weights = new Float32Array(3 * KERNEL_ROWS);
  const counts = new Int32Array(KERNEL_ROWS);
  const round = Math.fround;
  return {
    block,
    mask,
    weights,
    counts,
    thresholdRows: (taps, h0, h1, h2, n, rows, threshold, out, stride) => {
      // The WebAssembly kernel's arithmetic, each operation rounded to float32 as it rounds them.
      for (let k = 0; k < rows; k++) {
        const w0 = weights[3 * k]!;
        const w1 = weights[3 * k + 1]!;
        const w2 = weights[3 * k + 2]!;
        const row = out + k * stride;
        let set = 0;
        for (let i = 0; i < n; i++) {
          let v = round(block[h0 + i]! * w0);
          if (taps >= 2) v = round(v + round(block[h1 + i]! * w1));
          if (taps >= 3) v = round(v + round(block[h2 + i]! * w2));
          const bit = +(v > threshold);
          mask[row + i] = bit;
          set += bit;
        }
        counts[k] = counts[k]! + set;
      }
    },
    takeMask: () => mask,
  };
}

/**
 * Scratch for thresholding a mask of `maskLength` pixels, written only within `span`, whose
 * horizontal pass (of the M-wide low-res `map` through `ax`, over `region`) it runs first, on the
 * WebAssembly kernels unless `engine` asks for the JavaScript ones (tests compare the two).
 */
export function maskWorkspace(map: Float32Array, M: number, ax: ResampleTaps, region: HorizontalRegion, maskLength: number, span: MaskSpan, engine: 'auto' | 'js' = 'auto'): MaskWorkspace {
  const kernel = engine === 'auto' ? loadKernel() : undefined;
  return kernel ? wasmWorkspace(kernel, map, M, ax, region, maskLength, span) : jsWorkspace(map, M, ax, region, maskLength);
}
