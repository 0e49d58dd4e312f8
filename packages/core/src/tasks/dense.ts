/**
 * CLIP dense features on a grid and where that grid lies on the image. A `sam-clip` CLIP head
 * yields G×G cells over the padded S×S SAM input (the same frame as SAM's low-res masks); a
 * separate CLIP image encoder sees the whole image squashed to R×R, so its g×g cells cover the
 * image itself. Everything that maps between cells and pixels goes through this one type.
 */
import { maskLogitsToImage, upsampleBilinear } from '../image/masks.js';
import type { FloatMap, ImageSize } from '../image/types.js';
import { dot } from './math.js';

export interface DenseGrid {
  width: number;
  height: number;
  /** Embedding size E. */
  dim: number;
  /** Unit-length embeddings, row-major cells × E. */
  embeddings: Float32Array;
  /** `padded`: cells cover the padded SAM input; `image`: cells cover the original image. */
  coverage: 'padded' | 'image';
  /** For `padded`: the SAM input side S and the resized image inside it. */
  imageSize: number;
  inputSize: ImageSize;
  originalSize: ImageSize;
}

/** Centre of cell (column, row) in original-image pixel coordinates (may lie outside the image for padded grids). */
export function cellCenterInImage(grid: DenseGrid, column: number, row: number): { x: number; y: number } {
  if (grid.coverage === 'image') {
    return { x: ((column + 0.5) / grid.width) * grid.originalSize.width, y: ((row + 0.5) / grid.height) * grid.originalSize.height };
  }
  const modelX = ((column + 0.5) / grid.width) * grid.imageSize;
  const modelY = ((row + 0.5) / grid.height) * grid.imageSize;
  return {
    x: (modelX * grid.originalSize.width) / grid.inputSize.width,
    y: (modelY * grid.originalSize.height) / grid.inputSize.height,
  };
}

/** Whether a cell's centre falls on the image (padded grids have cells over the padding). */
export function cellOnImage(grid: DenseGrid, column: number, row: number): boolean {
  const { x, y } = cellCenterInImage(grid, column, row);
  return x < grid.originalSize.width && y < grid.originalSize.height;
}

/** Per-class logit maps on the grid: scale · cos(cell, class), class-major. */
export function classLogitMaps(grid: DenseGrid, classEmbeddings: Float32Array, numClasses: number, logitScale: number): Float32Array[] {
  const cells = grid.width * grid.height;
  const maps: Float32Array[] = [];
  for (let c = 0; c < numClasses; c++) {
    const map = new Float32Array(cells);
    for (let i = 0; i < cells; i++) map[i] = logitScale * dot(grid.embeddings, i * grid.dim, classEmbeddings, c * grid.dim, grid.dim);
    maps.push(map);
  }
  return maps;
}

/** A grid-resolution map resampled to the original image size (bilinear, as F.interpolate). */
export function gridMapToImage(grid: DenseGrid, map: Float32Array): FloatMap {
  const low: FloatMap = { width: grid.width, height: grid.height, data: map };
  if (grid.coverage === 'image') return upsampleBilinear(low, grid.originalSize.height, grid.originalSize.width);
  return maskLogitsToImage(low, { imageSize: grid.imageSize, inputSize: grid.inputSize, originalSize: grid.originalSize });
}

/**
 * Resamples a grid-resolution map into SAM's M×M mask-input frame (the padded S×S input at 1/4
 * scale); positions outside the resized image get `outside`.
 */
export function gridMapToMaskInput(grid: DenseGrid, map: Float32Array, maskInputSize: number, outside: number): Float32Array {
  const M = maskInputSize;
  const out = new Float32Array(M * M).fill(outside);
  const sample = (gx: number, gy: number): number => {
    const x = Math.min(Math.max(gx, 0), grid.width - 1);
    const y = Math.min(Math.max(gy, 0), grid.height - 1);
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const x1 = Math.min(x0 + 1, grid.width - 1);
    const y1 = Math.min(y0 + 1, grid.height - 1);
    const fx = x - x0;
    const fy = y - y0;
    const top = map[y0 * grid.width + x0]! * (1 - fx) + map[y0 * grid.width + x1]! * fx;
    const bottom = map[y1 * grid.width + x0]! * (1 - fx) + map[y1 * grid.width + x1]! * fx;
    return top * (1 - fy) + bottom * fy;
  };
  for (let v = 0; v < M; v++) {
    const modelY = ((v + 0.5) * grid.imageSize) / M;
    if (modelY >= grid.inputSize.height) continue;
    for (let u = 0; u < M; u++) {
      const modelX = ((u + 0.5) * grid.imageSize) / M;
      if (modelX >= grid.inputSize.width) continue;
      const gx = grid.coverage === 'padded' ? (modelX / grid.imageSize) * grid.width - 0.5 : (modelX / grid.inputSize.width) * grid.width - 0.5;
      const gy = grid.coverage === 'padded' ? (modelY / grid.imageSize) * grid.height - 0.5 : (modelY / grid.inputSize.height) * grid.height - 0.5;
      out[v * M + u] = sample(gx, gy);
    }
  }
  return out;
}
