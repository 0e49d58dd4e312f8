/**
 * Image → `pixel_values` for the two heads: SAM's longest-side resize + normalise + bottom/right
 * zero padding, and CLIP's shortest-side resize + center crop + normalise. Both follow the
 * PyTorch reference pipelines step for step (PIL resize on uint8, float32 normalisation).
 */
import { SamClipError } from '../errors.js';
import { resizeRgb, type ResampleFilter, type ResampleMethod } from './resample.js';
import type { ImageSize, RgbImage } from './types.js';

export type ChannelTriple = readonly [number, number, number];

/**
 * SAM's ResizeLongestSide.get_preprocess_shape: scale = L / max(h, w), each side rounded as
 * int(side · scale + 0.5). 1800×1200 (w×h) → 1024×683.
 */
export function resizedSizeForLongestSide(size: ImageSize, longestSide: number): ImageSize {
  const scale = longestSide / Math.max(size.height, size.width);
  return { height: Math.trunc(size.height * scale + 0.5), width: Math.trunc(size.width * scale + 0.5) };
}

/** torchvision's Resize(int) rule: the shorter side becomes `size`, the longer one int(size · long / short). */
export function resizedSizeForShortestSide(size: ImageSize, shortestSide: number): ImageSize {
  const { height, width } = size;
  if (width <= height) return { width: shortestSide, height: Math.trunc((shortestSide * height) / width) };
  return { height: shortestSide, width: Math.trunc((shortestSide * width) / height) };
}

/** Python 3's round(): halves go to the even neighbour (torchvision's center_crop uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function checkChannels(name: string, values: ChannelTriple): void {
  if (values.length !== 3 || values.some((v) => !Number.isFinite(v)) || (name === 'std' && values.some((v) => v === 0))) {
    throw new SamClipError('INVALID_ARGUMENT', `Preprocessing ${name} must be three finite numbers${name === 'std' ? ', none zero' : ''}; got [${values.join(', ')}].`);
  }
}

/**
 * Writes (pixel − mean) / std in float32, channel-planar, into a side×side canvas at the top-left
 * and leaves the rest 0 (padding after normalisation, as SAM pads).
 */
export function normalizeToPlanar(image: RgbImage, mean: ChannelTriple, std: ChannelTriple, canvasSize?: ImageSize): Float32Array {
  checkChannels('mean', mean);
  checkChannels('std', std);
  const outH = canvasSize?.height ?? image.height;
  const outW = canvasSize?.width ?? image.width;
  if (image.height > outH || image.width > outW) {
    throw new SamClipError('SHAPE', `A ${image.width}×${image.height} image does not fit a ${outW}×${outH} input.`);
  }
  const plane = outH * outW;
  const out = new Float32Array(3 * plane);
  const { width, height, data } = image;
  for (let c = 0; c < 3; c++) {
    // Float32 constants and one rounding per operation reproduce torch's float32 (x - mean) / std.
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    const base = c * plane;
    for (let y = 0; y < height; y++) {
      const inRow = y * width * 3 + c;
      const outRow = base + y * outW;
      for (let x = 0; x < width; x++) out[outRow + x] = Math.fround(data[inRow + x * 3]! - m) / s;
    }
  }
  return out;
}

export interface SamPreprocessOptions {
  longestSide: number;
  mean: ChannelTriple;
  std: ChannelTriple;
  /** Default: Pillow bilinear with antialias, as SAM's ResizeLongestSide. */
  resize?: ResampleFilter | ResampleMethod;
}

export interface PreprocessedImage {
  /** NCHW float32, length 3·H·W. */
  pixelValues: Float32Array;
  dims: [1, 3, number, number];
  /** Size of the image given. */
  originalSize: ImageSize;
  /** Size of the resized image inside the padded input (SAM) or of the crop (CLIP). */
  inputSize: ImageSize;
}

/** SAM preprocessing: longest side → L (PIL bilinear), normalise, zero-pad bottom/right to L×L. */
export function preprocessForSam(image: RgbImage, options: SamPreprocessOptions): PreprocessedImage {
  const L = options.longestSide;
  const originalSize = { height: image.height, width: image.width };
  const inputSize = resizedSizeForLongestSide(originalSize, L);
  const resized = inputSize.height === image.height && inputSize.width === image.width ? image : resizeRgb(image, inputSize.width, inputSize.height, options.resize ?? 'bilinear');
  const pixelValues = normalizeToPlanar(resized, options.mean, options.std, { height: L, width: L });
  return { pixelValues, dims: [1, 3, L, L], originalSize, inputSize };
}

export interface ClipPreprocessOptions {
  size: number;
  mean: ChannelTriple;
  std: ChannelTriple;
  /** Default: Pillow bicubic with antialias, as OpenAI CLIP's transform. */
  resize?: ResampleFilter | ResampleMethod;
  /** `center` (default): shortest side → size, then a centre crop; `none`: squash to size×size. */
  crop?: 'center' | 'none';
}

/** Crops the centered height×width window as torchvision's center_crop (offsets rounded half-to-even). */
export function centerCrop(image: RgbImage, height: number, width: number): RgbImage {
  if (height > image.height || width > image.width) {
    throw new SamClipError('SHAPE', `Cannot center-crop ${width}×${height} out of a ${image.width}×${image.height} image.`);
  }
  const top = roundHalfEven((image.height - height) / 2);
  const left = roundHalfEven((image.width - width) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const start = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(start, start + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** CLIP preprocessing: shortest side → R, center crop R×R (or squash to R×R), normalise. */
export function preprocessForClip(image: RgbImage, options: ClipPreprocessOptions): PreprocessedImage {
  const R = options.size;
  const originalSize = { height: image.height, width: image.width };
  const resizedSize = options.crop === 'none' ? { height: R, width: R } : resizedSizeForShortestSide(originalSize, R);
  const resized =
    resizedSize.height === image.height && resizedSize.width === image.width ? image : resizeRgb(image, resizedSize.width, resizedSize.height, options.resize ?? 'bicubic');
  const cropped = centerCrop(resized, R, R);
  return { pixelValues: normalizeToPlanar(cropped, options.mean, options.std), dims: [1, 3, R, R], originalSize, inputSize: { height: R, width: R } };
}
