/**
 * Pixel containers shared by preprocessing, mask post-processing and the task API. They are plain
 * objects over typed arrays so they cross worker boundaries and need no engine.
 */

/** An 8-bit RGB image, row-major, 3 bytes per pixel (`data.length === width * height * 3`). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Anything shaped like the DOM's ImageData: RGBA bytes, row-major, 4 bytes per pixel. */
export interface RgbaImageLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** Raw interleaved pixels with an explicit channel count (1 = gray, 3 = RGB, 4 = RGBA). */
export interface RawPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** A binary mask, row-major, one byte per pixel holding 0 or 1. */
export interface BinaryMask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A single-channel float map (mask logits, class scores), row-major. */
export interface FloatMap {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** Height and width of an image in pixels. */
export interface ImageSize {
  readonly height: number;
  readonly width: number;
}
