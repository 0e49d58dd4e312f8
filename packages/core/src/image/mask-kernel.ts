/**
 * The thresholded vertical pass of mask post-processing (see `maskFromLogits`), as WebAssembly
 * SIMD where the runtime has it (mask-kernel.wat: four pixels per step) and as JavaScript with the
 * same float32 arithmetic where it does not, plus the scratch memory both read and write.
 */
import { MASK_KERNEL_WASM_BASE64 } from './mask-kernel-wasm.js';

/** Output rows thresholded per kernel call (the weights and counts areas hold this many). */
export const KERNEL_ROWS = 4;

/**
 * Scratch for one `maskFromLogits` call: the horizontal pass's rows (float32), the output mask
 * (zero-filled), and per call of `thresholdRows` the rows' weights (3 per row: w0, w1, w2) and
 * set-pixel counts, which the call adds to.
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
  /** The mask as an array the caller owns (scratch is reused by the next call). */
  takeMask(): Uint8Array;
}

/** The SIMD module's exports, or undefined where WebAssembly SIMD is unavailable. */
interface KernelModule {
  memory: WebAssembly.Memory;
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
        const exports = instance.exports as { memory: WebAssembly.Memory; threshold_rows: (...args: number[]) => void };
        kernelModule = { memory: exports.memory, thresholdRows: exports.threshold_rows };
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

function wasmWorkspace(kernel: KernelModule, blockLength: number, maskLength: number): MaskWorkspace {
  const maskAt = BLOCK_AT + 4 * blockLength;
  const needed = maskAt + maskLength;
  const { memory } = kernel;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / WASM_PAGE));
  // Views are taken after growing, which detaches the old buffer.
  const buffer = memory.buffer;
  const mask = new Uint8Array(buffer, maskAt, maskLength);
  mask.fill(0);
  return {
    block: new Float32Array(buffer, BLOCK_AT, blockLength),
    mask,
    weights: new Float32Array(buffer, WEIGHTS_AT, 3 * KERNEL_ROWS),
    counts: new Int32Array(buffer, COUNTS_AT, KERNEL_ROWS),
    thresholdRows: (taps, h0, h1, h2, n, rows, threshold, out, stride) =>
      kernel.thresholdRows(taps, BLOCK_AT + 4 * h0, BLOCK_AT + 4 * h1, BLOCK_AT + 4 * h2, n, WEIGHTS_AT, rows, threshold, maskAt + out, stride, COUNTS_AT),
    takeMask: () => mask.slice(),
  };
}

/** The horizontal block's scratch on the JavaScript path, kept between calls (2.5 MB at 1800×1200). */
let blockScratch = new Float32Array(0);

function jsWorkspace(blockLength: number, maskLength: number): MaskWorkspace {
  if (blockScratch.length < blockLength) blockScratch = new Float32Array(blockLength);
  const block = blockScratch;
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
 * Scratch for a block of `blockLength` horizontal values and a mask of `maskLength` pixels, on
 * the WebAssembly kernel unless `engine` asks for the JavaScript one (tests compare the two).
 */
export function maskWorkspace(blockLength: number, maskLength: number, engine: 'auto' | 'js' = 'auto'): MaskWorkspace {
  const kernel = engine === 'auto' ? loadKernel() : undefined;
  return kernel ? wasmWorkspace(kernel, blockLength, maskLength) : jsWorkspace(blockLength, maskLength);
}
