/**
 * Antialiased resampling that reproduces Pillow's `Image.resize` (libImaging/Resample.c) bit for
 * bit on 8-bit images: the filter support widens by the downscale factor, per-pixel coefficients
 * are normalised, converted to 22-bit fixed point, and each separable pass (horizontal first,
 * then vertical) rounds and clamps to uint8. The PyTorch reference pipelines resize with PIL, so
 * matching its integer arithmetic is what makes pixel_values identical, not merely close.
 */
import { SamClipError } from '../errors.js';
import type { RgbImage } from './types.js';

export type ResampleFilter = 'bilinear' | 'bicubic';

export interface ResampleMethod {
  filter: ResampleFilter;
  /**
   * Widen the filter by the downscale factor (Pillow, and torchvision with antialias=True). Off,
   * downscaling samples only the nearest source pixels, like F.interpolate without antialias.
   */
  antialias: boolean;
}

/** The manifest's resize rule names (`bilinear-antialias`, `bicubic`, …) as a method. */
export function resampleMethod(rule: string): ResampleMethod {
  const match = /^(bilinear|bicubic)(-antialias)?$/.exec(rule);
  if (!match) throw new SamClipError('INVALID_ARGUMENT', `Unknown resize rule "${rule}"; use bilinear, bilinear-antialias, bicubic or bicubic-antialias.`);
  return { filter: match[1] as ResampleFilter, antialias: match[2] !== undefined };
}

interface FilterKernel {
  weight(x: number): number;
  support: number;
}

const FILTERS: Record<ResampleFilter, FilterKernel> = {
  bilinear: {
    support: 1,
    weight(x) {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  bicubic: {
    // Keys' cubic convolution with a = -0.5, as Pillow uses.
    support: 2,
    weight(x) {
      const a = Math.abs(x);
      if (a < 1) return (1.5 * a - 2.5) * a * a + 1;
      if (a < 2) return (((a - 5) * a + 8) * a - 4) * -0.5;
      return 0;
    },
  },
};

/** Pillow keeps 8 bits for the result and 2 for overflow in a 32-bit accumulator. */
const PRECISION_BITS = 32 - 8 - 2;
const FIXED_ONE = 1 << PRECISION_BITS;
const ROUNDING_BIAS = 1 << (PRECISION_BITS - 1);

/** Per-output-pixel filter taps: first source index, tap count, and fixed-point weights (`ksize` per pixel). */
export interface ResampleCoefficients {
  ksize: number;
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

/**
 * Taps for resampling the source span [in0, in1) of an axis of `inSize` pixels onto `outSize`
 * pixels, as Pillow's precompute_coeffs followed by normalize_coeffs_8bpc.
 */
export function resampleCoefficients(
  inSize: number,
  outSize: number,
  filter: ResampleFilter = 'bilinear',
  antialias = true,
  in0 = 0,
  in1 = inSize,
): ResampleCoefficients {
  const kernel = FILTERS[filter];
  // Pillow's box edges are C floats; the span is computed in float before widening to double.
  const scale = Math.fround(Math.fround(in1) - Math.fround(in0)) / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = kernel.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
  const invFilterScale = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = Math.fround(in0) + (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero; negative starts are clamped to 0 right after.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = kernel.weight((x + xmin - center + 0.5) * invFilterScale);
      taps[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? taps[x]! / total : taps[x]!;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * FIXED_ONE) : Math.trunc(0.5 + w * FIXED_ONE);
    }
    first[xx] = xmin;
    count[xx] = Math.max(xmax, 0);
  }
  return { ksize, first, count, weights };
}

function clip8(accumulator: number): number {
  const v = accumulator >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resamples interleaved 8-bit pixels (`channels` per pixel) to outWidth×outHeight exactly as
 * Pillow's ImagingResample does for 8-bit modes.
 */
export function resampleUint8(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  filter: ResampleFilter = 'bilinear',
  antialias = true,
): Uint8Array {
  if (!(outWidth >= 1 && outHeight >= 1 && Number.isInteger(outWidth) && Number.isInteger(outHeight))) {
    throw new SamClipError('INVALID_ARGUMENT', `Cannot resize to ${outWidth}×${outHeight}; the target size must be at least 1×1 whole pixels.`, { outWidth, outHeight });
  }
  if (data.length !== width * height * channels) {
    throw new SamClipError('SHAPE', `Pixel buffer holds ${data.length} bytes but ${width}×${height}×${channels} needs ${width * height * channels}.`);
  }
  const needHorizontal = outWidth !== width;
  const needVertical = outHeight !== height;
  const vertical = resampleCoefficients(height, outHeight, filter, antialias);
  // Only source rows some output row reads need the horizontal pass.
  const rowFirst = vertical.first[0]!;
  const rowLast = vertical.first[outHeight - 1]! + vertical.count[outHeight - 1]!;

  let source = data;
  let sourceRowOffset = 0;
  let sourceWidth = width;
  if (needHorizontal) {
    const horizontal = resampleCoefficients(width, outWidth, filter, antialias);
    const rows = needVertical ? rowLast - rowFirst : height;
    const rowStart = needVertical ? rowFirst : 0;
    const temp = new Uint8Array(outWidth * rows * channels);
    const { ksize, first, count, weights } = horizontal;
    const acc = new Float64Array(channels);
    for (let yy = 0; yy < rows; yy++) {
      const inRow = (yy + rowStart) * width * channels;
      const outRow = yy * outWidth * channels;
      for (let xx = 0; xx < outWidth; xx++) {
        const xmin = first[xx]!;
        const n = count[xx]!;
        const k = xx * ksize;
        acc.fill(ROUNDING_BIAS);
        for (let x = 0; x < n; x++) {
          const w = weights[k + x]!;
          const p = inRow + (xmin + x) * channels;
          for (let c = 0; c < channels; c++) acc[c]! += data[p + c]! * w;
        }
        for (let c = 0; c < channels; c++) temp[outRow + xx * channels + c] = clip8(acc[c]!);
      }
    }
    source = temp;
    sourceWidth = outWidth;
    sourceRowOffset = rowStart;
  }
  if (!needVertical) return source === data ? Uint8Array.from(data) : source;

  const out = new Uint8Array(outWidth * outHeight * channels);
  const { ksize, first, count, weights } = vertical;
  const rowStride = sourceWidth * channels;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = first[yy]! - sourceRowOffset;
    const n = count[yy]!;
    const k = yy * ksize;
    const outRow = yy * rowStride;
    for (let i = 0; i < rowStride; i++) {
      let acc = ROUNDING_BIAS;
      for (let y = 0; y < n; y++) acc += source[(ymin + y) * rowStride + i]! * weights[k + y]!;
      out[outRow + i] = clip8(acc);
    }
  }
  return out;
}

/** Resizes an RGB image like Pillow's `Image.resize((width, height), BILINEAR|BICUBIC)` (antialias on by default). */
export function resizeRgb(image: RgbImage, width: number, height: number, method: ResampleFilter | ResampleMethod = 'bilinear'): RgbImage {
  const { filter, antialias } = typeof method === 'string' ? { filter: method, antialias: true } : method;
  return { width, height, data: resampleUint8(image.data, image.width, image.height, 3, width, height, filter, antialias) };
}
