/**
 * Weight quantizers shared by the int8 and int4 passes. All are deterministic functions of the
 * float weights, so converting twice gives identical bytes.
 */

export interface PerAxisInt8 {
  values: Int8Array;
  /** One scale per slice along the axis (per output channel). */
  scales: Float32Array;
}

/**
 * Symmetric int8 per-slice quantization along `axis` of a tensor with `dims`:
 * q = round(w / scale), scale = max|w| / qmax over each slice. `qmax` 127 uses the full symmetric
 * range; 63 ("reduce range") leaves headroom for engines whose u8×s8 kernels saturate in int16.
 */
export function quantizeInt8PerAxis(weights: Float32Array, dims: readonly number[], axis: number, qmax = 127): PerAxisInt8 {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let m = maxAbs[c]!;
      for (let i = 0; i < inner; i++) m = Math.max(m, Math.abs(weights[base + i]!));
      maxAbs[c] = m;
    }
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = maxAbs[c]! > 0 ? maxAbs[c]! / qmax : 1;
  const values = new Int8Array(weights.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const scale = scales[c]!;
      for (let i = 0; i < inner; i++) values[base + i] = Math.max(-qmax, Math.min(qmax, Math.round(weights[base + i]! / scale)));
    }
  }
  return { values, scales };
}

export interface AsymmetricUint8 {
  values: Uint8Array;
  scale: number;
  zeroPoint: number;
}

/** Asymmetric per-tensor uint8, with 0 exactly representable (ConvInteger weights). */
export function quantizeUint8PerTensor(weights: Float32Array): AsymmetricUint8 {
  let min = 0;
  let max = 0;
  for (const w of weights) {
    if (w < min) min = w;
    if (w > max) max = w;
  }
  const scale = max > min ? (max - min) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-min / scale)));
  const values = new Uint8Array(weights.length);
  for (let i = 0; i < weights.length; i++) values[i] = Math.max(0, Math.min(255, Math.round(weights[i]! / scale) + zeroPoint));
  return { values, scale, zeroPoint };
}

export interface Int4Blocks {
  /** Unsigned 4-bit codes 0..15, one per element, `[rows, paddedCols]`. */
  codes: Uint8Array;
  /** `[rows, blocksPerRow]`. */
  scales: Float32Array;
  /** `[rows, blocksPerRow]` codes 0..15; 8 everywhere when symmetric. */
  zeroPoints: Uint8Array;
  paddedCols: number;
  blocksPerRow: number;
}

/**
 * Block-wise 4-bit quantization of each row of a `[rows, cols]` matrix in blocks of `blockSize`
 * along the row; w ≈ (code − zeroPoint) · scale. Rows are zero-padded to a whole number of blocks.
 */
export function quantizeInt4Blocks(matrix: Float32Array, rows: number, cols: number, blockSize: number, symmetric: boolean): Int4Blocks {
  const blocksPerRow = Math.ceil(cols / blockSize);
  const paddedCols = blocksPerRow * blockSize;
  const codes = new Uint8Array(rows * paddedCols);
  const scales = new Float32Array(rows * blocksPerRow);
  const zeroPoints = new Uint8Array(rows * blocksPerRow);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocksPerRow; b++) {
      const start = b * blockSize;
      const end = Math.min(cols, start + blockSize);
      let min = 0;
      let max = 0;
      for (let c = start; c < end; c++) {
        const w = matrix[r * cols + c]!;
        if (w < min) min = w;
        if (w > max) max = w;
      }
      let scale: number;
      let zeroPoint: number;
      if (symmetric) {
        const absMax = Math.max(-min, max);
        scale = absMax > 0 ? absMax / 7 : 1;
        zeroPoint = 8;
      } else {
        scale = max > min ? (max - min) / 15 : 1;
        zeroPoint = Math.max(0, Math.min(15, Math.round(-min / scale)));
      }
      scales[r * blocksPerRow + b] = scale;
      zeroPoints[r * blocksPerRow + b] = zeroPoint;
      for (let c = start; c < start + blockSize; c++) {
        const w = c < end ? matrix[r * cols + c]! : 0;
        codes[r * paddedCols + c] = Math.max(0, Math.min(15, Math.round(w / scale) + zeroPoint));
      }
    }
  }
  return { codes, scales, zeroPoints, paddedCols, blocksPerRow };
}

/** Transposes a row-major `[rows, cols]` float matrix. */
export function transpose2d(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c]!;
  return out;
}
