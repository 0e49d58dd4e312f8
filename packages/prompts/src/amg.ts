import { PromptError } from './errors.js';
import type { ImageSize, SamBox, SamPoint } from './sam.js';

/** SamAutomaticMaskGenerator's default crop overlap (crop_overlap_ratio). */
export const AMG_CROP_OVERLAP_RATIO = 512 / 1500;

/**
 * A points_per_side × points_per_side grid of normalised (0..1) x,y pairs, row by row, cell
 * centres as in segment-anything's build_point_grid (np.linspace(1/2n, 1 - 1/2n, n)).
 */
export function buildPointGrid(pointsPerSide: number): Float64Array {
  checkCount(pointsPerSide, 'pointsPerSide', 1);
  const offset = 1 / (2 * pointsPerSide);
  const side = linspace(offset, 1 - offset, pointsPerSide);
  const grid = new Float64Array(pointsPerSide * pointsPerSide * 2);
  for (let row = 0; row < pointsPerSide; row++) {
    for (let col = 0; col < pointsPerSide; col++) {
      const i = (row * pointsPerSide + col) * 2;
      grid[i] = side[col] as number;
      grid[i + 1] = side[row] as number;
    }
  }
  return grid;
}

/** One grid per crop layer: layer i has int(pointsPerSide / scalePerLayer^i) points per side. */
export function buildLayerPointGrids(pointsPerSide: number, cropLayers: number, scalePerLayer = 1): Float64Array[] {
  checkCount(pointsPerSide, 'pointsPerSide', 1);
  checkCount(cropLayers, 'cropLayers', 0);
  if (!Number.isFinite(scalePerLayer) || scalePerLayer < 1) {
    throw new PromptError(`scalePerLayer must be a number ≥ 1, got ${String(scalePerLayer)}.`, { scalePerLayer });
  }
  const grids: Float64Array[] = [];
  for (let layer = 0; layer <= cropLayers; layer++) {
    grids.push(buildPointGrid(Math.max(1, Math.trunc(pointsPerSide / scalePerLayer ** layer))));
  }
  return grids;
}

export interface CropBox extends SamBox {
  /** 0 for the whole image, i for the 2^i × 2^i crops of layer i. */
  layer: number;
}

/**
 * The whole image, then for each layer i a 2^(i+1)-per-side grid of overlapping crops, in
 * segment-anything's generate_crop_boxes order (x outer, y inner) and integer rounding.
 */
export function generateCropBoxes(imageSize: ImageSize, cropLayers: number, overlapRatio = AMG_CROP_OVERLAP_RATIO): CropBox[] {
  const { width, height } = imageSize;
  checkCount(width, 'imageSize.width', 1);
  checkCount(height, 'imageSize.height', 1);
  checkCount(cropLayers, 'cropLayers', 0);
  if (!Number.isFinite(overlapRatio) || overlapRatio < 0 || overlapRatio >= 1) {
    throw new PromptError(`overlapRatio must be in [0, 1), got ${String(overlapRatio)}.`, { overlapRatio });
  }
  const boxes: CropBox[] = [{ x0: 0, y0: 0, x1: width, y1: height, layer: 0 }];
  const shortSide = Math.min(width, height);
  const cropLength = (length: number, crops: number, overlap: number) => Math.ceil((overlap * (crops - 1) + length) / crops);
  for (let layer = 0; layer < cropLayers; layer++) {
    const cropsPerSide = 2 ** (layer + 1);
    const overlap = Math.trunc(overlapRatio * shortSide * (2 / cropsPerSide));
    const cropWidth = cropLength(width, cropsPerSide, overlap);
    const cropHeight = cropLength(height, cropsPerSide, overlap);
    for (let i = 0; i < cropsPerSide; i++) {
      const x0 = Math.trunc((cropWidth - overlap) * i);
      for (let j = 0; j < cropsPerSide; j++) {
        const y0 = Math.trunc((cropHeight - overlap) * j);
        boxes.push({ x0, y0, x1: Math.min(x0 + cropWidth, width), y1: Math.min(y0 + cropHeight, height), layer: layer + 1 });
      }
    }
  }
  return boxes;
}

/**
 * The foreground points of one crop, in the crop's own pixels (pass the crop's size as imageSize
 * when encoding them): the layer's normalised grid scaled by the crop's width and height.
 */
export function cropPointPrompts(crop: CropBox, grids: readonly Float64Array[]): SamPoint[] {
  const grid = grids[crop.layer];
  if (grid === undefined) {
    throw new PromptError(`Crop layer ${crop.layer} has no point grid (${grids.length} grids given); build grids for every crop layer.`, {
      layer: crop.layer,
    });
  }
  const width = crop.x1 - crop.x0;
  const height = crop.y1 - crop.y0;
  const points: SamPoint[] = [];
  for (let i = 0; i < grid.length; i += 2) {
    points.push({ x: (grid[i] as number) * width, y: (grid[i + 1] as number) * height, label: 'foreground' });
  }
  return points;
}

/** numpy.linspace(start, stop, num) with endpoint: start + i·step, the last value exactly stop. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

function checkCount(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new PromptError(`${name} must be a whole number ≥ ${min}, got ${String(value)}.`, { [name]: value });
  }
}
