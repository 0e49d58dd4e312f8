/**
 * Turning whatever the caller holds — RGB or RGBA buffers, ImageData, browser image sources, or
 * encoded file bytes — into one `RgbImage`, with size checks done before any large allocation.
 */
import { SamClipError } from '../errors.js';
import type { RawPixels, RgbaImageLike, RgbImage } from './types.js';

/** Default ceiling on decoded pixels (64 MP): big enough for camera photos, small enough to refuse decompression bombs. */
export const DEFAULT_MAX_PIXELS = 64_000_000;

export interface ImageLimits {
  /** Refuse images with more pixels than this (default {@link DEFAULT_MAX_PIXELS}). */
  maxPixels?: number;
}

/**
 * Throws INVALID_IMAGE unless width×height is a positive integer size within the pixel limit.
 * Call it with header dimensions before decoding so hostile headers never cause an allocation.
 */
function formatPixels(pixels: number): string {
  return pixels >= 100_000 ? `${(pixels / 1e6).toFixed(1)} MP` : `${pixels} pixels`;
}

export function checkImageSize(width: number, height: number, limits: ImageLimits = {}, what = 'image'): void {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new SamClipError('INVALID_IMAGE', `The ${what} has an invalid size ${width}×${height}; width and height must be whole numbers.`, { width, height });
  }
  if (width === 0 || height === 0) {
    throw new SamClipError('INVALID_IMAGE', `The ${what} is empty (${width}×${height} pixels); pass an image with at least one pixel.`, { width, height });
  }
  if (width * height > maxPixels) {
    throw new SamClipError(
      'INVALID_IMAGE',
      `The ${what} is ${width}×${height} (${formatPixels(width * height)}), over the limit of ${formatPixels(maxPixels)}; downscale it or raise the limit (maxPixels option, --max-pixels in the CLI).`,
      { width, height, maxPixels },
    );
  }
}

/** Copies an RGBA (ImageData-like) image into RGB, dropping alpha as PIL's convert('RGB') does. */
export function rgbFromRgba(image: RgbaImageLike, limits: ImageLimits = {}): RgbImage {
  return rgbFromRaw({ width: image.width, height: image.height, channels: 4, data: image.data }, limits);
}

/** Copies gray, RGB or RGBA interleaved pixels into an RgbImage (gray is replicated, alpha dropped). */
export function rgbFromRaw(raw: RawPixels, limits: ImageLimits = {}): RgbImage {
  const { width, height, channels, data } = raw;
  checkImageSize(width, height, limits);
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new SamClipError('INVALID_IMAGE', `Raw pixels have ${String(channels)} channels; use 1 (gray), 3 (RGB) or 4 (RGBA).`, { channels });
  }
  const pixels = width * height;
  if (data.length !== pixels * channels) {
    throw new SamClipError(
      'INVALID_IMAGE',
      `Raw pixel buffer holds ${data.length} bytes but ${width}×${height}×${channels} needs ${pixels * channels}.`,
      { width, height, channels, bytes: data.length },
    );
  }
  if (channels === 3) return { width, height, data: Uint8Array.from(data) };
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    if (channels === 4) {
      out[i * 3] = data[i * 4]!;
      out[i * 3 + 1] = data[i * 4 + 1]!;
      out[i * 3 + 2] = data[i * 4 + 2]!;
    } else {
      const v = data[i]!;
      out[i * 3] = v;
      out[i * 3 + 1] = v;
      out[i * 3 + 2] = v;
    }
  }
  return { width, height, data: out };
}

/**
 * Accepts an RgbImage, an ImageData-like RGBA object or `{ width, height, channels, data }`, and
 * returns an RgbImage. RGB input that is already valid is returned as is (not copied).
 */
export function toRgbImage(input: RgbImage | RgbaImageLike | RawPixels, limits: ImageLimits = {}): RgbImage {
  const { width, height, data } = input;
  if ('channels' in input) return rgbFromRaw(input, limits);
  checkImageSize(width, height, limits);
  const pixels = width * height;
  if (data.length === pixels * 3 && data instanceof Uint8Array) return { width, height, data };
  if (data.length === pixels * 3) return rgbFromRaw({ width, height, channels: 3, data }, limits);
  if (data.length === pixels * 4) return rgbFromRaw({ width, height, channels: 4, data }, limits);
  if (data.length === pixels) return rgbFromRaw({ width, height, channels: 1, data }, limits);
  throw new SamClipError(
    'INVALID_IMAGE',
    `Image buffer holds ${data.length} bytes, which fits neither RGB (${pixels * 3}) nor RGBA (${pixels * 4}) at ${width}×${height}.`,
    { width, height, bytes: data.length },
  );
}

/** Browser image sources drawable on a canvas. Typed structurally so the module loads in Node. */
export type CanvasImageSourceLike = CanvasImageSource | VideoFrame;

/** Encoded image bytes (JPEG, PNG, …) as a file would hold them. */
export type EncodedImage = Uint8Array | ArrayBuffer;

/**
 * Every image form the task API accepts. Strings and URLs are fetched in browsers (http(s), data:,
 * blob:); in Node they are file paths or URLs once `registerNodeImageDecoder()` has run.
 */
export type ImageInput = RgbImage | RgbaImageLike | RawPixels | CanvasImageSourceLike | EncodedImage | Blob | string | URL;

/**
 * A resolver turns inputs core cannot read itself (file paths, encoded bytes in Node) into pixels.
 * It returns undefined for inputs it does not handle. `@samclip/core/node` provides one.
 */
export type ImageResolver = (input: unknown, limits: ImageLimits) => Promise<RgbImage | undefined>;

const resolvers: ImageResolver[] = [];

/** Registers a resolver consulted before the built-in browser paths; later registrations win. */
export function registerImageResolver(resolver: ImageResolver): void {
  if (!resolvers.includes(resolver)) resolvers.unshift(resolver);
}

function isPixelObject(input: unknown): input is RgbImage | RgbaImageLike | RawPixels {
  if (typeof input !== 'object' || input === null) return false;
  const candidate = input as { width?: unknown; height?: unknown; data?: unknown };
  return (
    typeof candidate.width === 'number' &&
    typeof candidate.height === 'number' &&
    (candidate.data instanceof Uint8Array || candidate.data instanceof Uint8ClampedArray)
  );
}

function isDrawable(input: unknown): input is CanvasImageSourceLike {
  const g = globalThis as Record<string, unknown>;
  const kinds = ['HTMLImageElement', 'HTMLCanvasElement', 'HTMLVideoElement', 'ImageBitmap', 'OffscreenCanvas', 'SVGImageElement', 'VideoFrame'];
  return kinds.some((name) => typeof g[name] === 'function' && input instanceof (g[name] as new () => unknown));
}

function drawableSize(source: CanvasImageSourceLike): { width: number; height: number } {
  const s = source as Partial<{ naturalWidth: number; naturalHeight: number; videoWidth: number; videoHeight: number; displayWidth: number; displayHeight: number; width: number | { baseVal: { value: number } }; height: number | { baseVal: { value: number } } }>;
  if (typeof s.naturalWidth === 'number' && s.naturalWidth > 0) return { width: s.naturalWidth, height: s.naturalHeight ?? 0 };
  if (typeof s.videoWidth === 'number' && s.videoWidth > 0) return { width: s.videoWidth, height: s.videoHeight ?? 0 };
  if (typeof s.displayWidth === 'number') return { width: s.displayWidth, height: s.displayHeight ?? 0 };
  const width = typeof s.width === 'number' ? s.width : (s.width?.baseVal.value ?? 0);
  const height = typeof s.height === 'number' ? s.height : (s.height?.baseVal.value ?? 0);
  return { width, height };
}

/** Reads the pixels of a browser image source by drawing it on a (offscreen) canvas; the browser applies EXIF orientation. */
export async function rgbFromDrawable(source: CanvasImageSourceLike, limits: ImageLimits = {}): Promise<RgbImage> {
  const image = source as { complete?: boolean; decode?: () => Promise<void> };
  if (image.complete === false && typeof image.decode === 'function') {
    await image.decode().catch((cause: unknown) => {
      throw new SamClipError('INVALID_IMAGE', 'The image element failed to load or decode; check its src.', {}, { cause });
    });
  }
  const { width, height } = drawableSize(source);
  checkImageSize(width, height, limits);
  let context: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (typeof OffscreenCanvas === 'function') {
    context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  } else if (typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    context = canvas.getContext('2d', { willReadFrequently: true });
  } else {
    throw new SamClipError('UNSUPPORTED', 'Reading a browser image source needs a canvas, which this environment lacks; pass RGB/RGBA pixels instead.');
  }
  if (!context) throw new SamClipError('UNSUPPORTED', 'Could not create a 2D canvas context to read the image; pass RGB/RGBA pixels instead.');
  context.drawImage(source as CanvasImageSource, 0, 0, width, height);
  return rgbFromRgba(context.getImageData(0, 0, width, height), limits);
}

/**
 * Resolves any {@link ImageInput} to an RgbImage: pixel objects directly, then registered
 * resolvers (file paths and encoded bytes in Node), then browser decoding (canvas sources, and
 * encoded bytes or Blobs through createImageBitmap).
 */
export async function loadImage(input: ImageInput | unknown, limits: ImageLimits = {}): Promise<RgbImage> {
  if (isPixelObject(input)) return toRgbImage(input, limits);
  for (const resolver of resolvers) {
    const image = await resolver(input, limits);
    if (image) return image;
  }
  if (isDrawable(input)) return rgbFromDrawable(input, limits);
  if (input instanceof URL) return loadImage(input.href, limits);
  if (typeof input === 'string' && /^(https?|data|blob):/i.test(input) && typeof fetch === 'function' && typeof createImageBitmap === 'function') {
    const response = await fetch(input).catch((cause: unknown) => {
      throw new SamClipError('IO', `Could not fetch the image ${input.slice(0, 100)}: ${cause instanceof Error ? cause.message : String(cause)}.`, {}, { cause });
    });
    if (!response.ok) throw new SamClipError(response.status === 404 ? 'NOT_FOUND' : 'IO', `Fetching the image ${input.slice(0, 100)} failed with HTTP ${response.status}.`);
    return loadImage(await response.blob(), limits);
  }
  const isBytes = input instanceof Uint8Array || input instanceof ArrayBuffer;
  const isBlob = typeof Blob === 'function' && input instanceof Blob;
  if ((isBytes || isBlob) && typeof createImageBitmap === 'function') {
    if (isBytes && input.byteLength === 0) throw new SamClipError('INVALID_IMAGE', 'The image file is empty (0 bytes).');
    const blob = isBlob ? input : new Blob([input instanceof Uint8Array ? Uint8Array.from(input) : input]);
    const bitmap = await createImageBitmap(blob).catch((cause: unknown) => {
      throw new SamClipError('INVALID_IMAGE', 'The image bytes could not be decoded; the file is corrupt or not an image format the browser reads.', {}, { cause });
    });
    try {
      return await rgbFromDrawable(bitmap, limits);
    } finally {
      bitmap.close();
    }
  }
  if (isBytes || typeof input === 'string') {
    throw new SamClipError(
      'UNSUPPORTED',
      `Reading ${typeof input === 'string' ? 'image paths' : 'encoded image bytes'} needs a decoder here; in Node call registerNodeImageDecoder() from '@samclip/core/node', or pass RGB/RGBA pixels.`,
    );
  }
  throw new SamClipError('INVALID_ARGUMENT', 'Unrecognised image input; pass { width, height, data } RGB/RGBA pixels, an ImageData, a canvas/image/bitmap, or encoded bytes.');
}
