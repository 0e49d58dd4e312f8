/**
 * Node-only image I/O: JPEG (jpeg-js), PNG (pngjs) and WebP (@cwasm/webp, libwebp in wasm) decoding from files or bytes, EXIF
 * orientation, and PNG encoding of images and masks. Header dimensions are read and checked
 * against the pixel limit before any decoder allocates, so a 50,000×50,000 header costs nothing.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { SamClipError } from '../errors.js';
import { checkImageSize, registerImageResolver, rgbFromRaw, type ImageLimits, type ImageResolver } from './convert.js';
import type { BinaryMask, RgbImage } from './types.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'unknown';

export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 6 && ascii(0, 4) === 'GIF8') return 'gif';
  if (bytes.length >= 2 && ascii(0, 2) === 'BM') return 'bmp';
  return 'unknown';
}

interface JpegHeader {
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function corrupt(format: string, problem: string, source?: string): SamClipError {
  return new SamClipError('INVALID_IMAGE', `${source ? `${source}: ` : ''}corrupt ${format}: ${problem}.`, { format, source });
}

/** Reads the frame size and EXIF orientation from JPEG marker segments without decoding. */
export function readJpegHeader(bytes: Uint8Array, source?: string): JpegHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  let orientation = 1;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw corrupt('JPEG', `expected a marker at byte ${offset}`, source);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image / start of scan before any frame header
    const length = view.getUint16(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) throw corrupt('JPEG', `segment 0x${marker.toString(16)} runs past the end of the file`, source);
    const body = offset + 4;
    if (marker === 0xe1 && length >= 8 && String.fromCharCode(...bytes.subarray(body, body + 4)) === 'Exif') {
      orientation = readExifOrientation(bytes.subarray(body + 6, offset + 2 + length)) ?? orientation;
    }
    if (SOF_MARKERS.has(marker)) {
      if (length < 8) throw corrupt('JPEG', 'frame header is truncated', source);
      return { height: view.getUint16(body + 1), width: view.getUint16(body + 3), orientation };
    }
    offset += 2 + length;
  }
  throw corrupt('JPEG', 'no frame header (SOF) found; the file is truncated or not a JPEG', source);
}

/** The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block, if present and valid. */
function readExifOrientation(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return undefined;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** Applies an EXIF orientation (1..8) so the pixels are upright, as PIL's ImageOps.exif_transpose. */
export function applyExifOrientation(image: RgbImage, orientation: number): RgbImage {
  if (orientation <= 1 || orientation > 8) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const outW = swap ? h : w;
  const outH = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break; // mirror horizontally
        case 3: sx = w - 1 - x; sy = h - 1 - y; break; // rotate 180°
        case 4: sx = x; sy = h - 1 - y; break; // mirror vertically
        case 5: sx = y; sy = x; break; // transpose
        case 6: sx = y; sy = h - 1 - x; break; // rotate 90° clockwise
        case 7: sx = w - 1 - y; sy = h - 1 - x; break; // transverse
        default: sx = w - 1 - y; sy = x; break; // 8: rotate 90° counter-clockwise
      }
      const src = (sy * w + sx) * 3;
      const dst = (y * outW + x) * 3;
      out[dst] = data[src]!;
      out[dst + 1] = data[src + 1]!;
      out[dst + 2] = data[src + 2]!;
    }
  }
  return { width: outW, height: outH, data: out };
}

export interface DecodeOptions extends ImageLimits {
  /** Rotate/flip JPEGs per their EXIF orientation (default true). */
  exifOrientation?: boolean;
  /** Names the file in error messages. */
  source?: string;
}

function decodeJpeg(bytes: Uint8Array, options: DecodeOptions): RgbImage {
  const header = readJpegHeader(bytes, options.source);
  checkImageSize(header.width, header.height, options, options.source ? `image ${options.source}` : 'JPEG image');
  const pixels = header.width * header.height;
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: Math.ceil(pixels / 1e6) + 1,
      // Coefficient storage of a progressive JPEG plus the output; generous but bounded by the checked size.
      maxMemoryUsageInMB: Math.ceil((pixels * 12) / (1024 * 1024)) + 64,
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new SamClipError('INVALID_IMAGE', `${options.source ? `${options.source}: ` : ''}corrupt JPEG: ${reason}.`, { format: 'jpeg', source: options.source }, { cause });
  }
  if (decoded.width !== header.width || decoded.height !== header.height || decoded.data.length !== pixels * 3) {
    throw corrupt('JPEG', 'decoded size does not match the frame header', options.source);
  }
  const image: RgbImage = { width: decoded.width, height: decoded.height, data: decoded.data };
  return options.exifOrientation === false ? image : applyExifOrientation(image, header.orientation);
}

function decodePng(bytes: Uint8Array, options: DecodeOptions): RgbImage {
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw corrupt('PNG', 'missing IHDR header', options.source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkImageSize(view.getUint32(16), view.getUint32(20), options, options.source ? `image ${options.source}` : 'PNG image');
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new SamClipError('INVALID_IMAGE', `${options.source ? `${options.source}: ` : ''}corrupt PNG: ${reason}.`, { format: 'png', source: options.source }, { cause });
  }
  return rgbFromRaw({ width: decoded.width, height: decoded.height, channels: 4, data: decoded.data }, options);
}

/** Canvas size from the first WebP chunk (VP8 lossy, VP8L lossless or VP8X extended) without decoding. */
export function readWebpHeader(bytes: Uint8Array, source?: string): { width: number; height: number } {
  if (bytes.length < 30) throw corrupt('WebP', 'the header is truncated', source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  if (chunk === 'VP8 ') {
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) throw corrupt('WebP', 'missing VP8 start code', source);
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (bytes[20] !== 0x2f) throw corrupt('WebP', 'missing VP8L signature', source);
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    const width = (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16)) + 1;
    const height = (bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16)) + 1;
    return { width, height };
  }
  throw corrupt('WebP', `unknown first chunk "${chunk}"`, source);
}

interface WebpModule {
  decode(source: Uint8Array): { width: number; height: number; data: Uint8ClampedArray };
}
let webpModule: WebpModule | undefined;

function decodeWebp(bytes: Uint8Array, options: DecodeOptions): RgbImage {
  const header = readWebpHeader(bytes, options.source);
  checkImageSize(header.width, header.height, options, options.source ? `image ${options.source}` : 'WebP image');
  // Loaded on first use: the module compiles libwebp's wasm when required.
  webpModule ??= createRequire(import.meta.url)('@cwasm/webp') as WebpModule;
  let decoded: { width: number; height: number; data: Uint8ClampedArray };
  try {
    decoded = webpModule.decode(bytes);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new SamClipError('INVALID_IMAGE', `${options.source ? `${options.source}: ` : ''}corrupt WebP: ${reason} (animated WebP is not supported).`, { format: 'webp', source: options.source }, { cause });
  }
  return rgbFromRaw({ width: decoded.width, height: decoded.height, channels: 4, data: decoded.data }, options);
}

/** Decodes JPEG, PNG or WebP bytes to RGB (alpha dropped), checking the header size first. */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): RgbImage {
  const prefix = options.source ? `${options.source}: ` : '';
  if (bytes.length === 0) throw new SamClipError('INVALID_IMAGE', `${prefix}the image file is empty (0 bytes).`, { source: options.source });
  const format = sniffImageFormat(bytes);
  if (format === 'jpeg') return decodeJpeg(bytes, options);
  if (format === 'png') return decodePng(bytes, options);
  if (format === 'webp') return decodeWebp(bytes, options);
  if (format === 'unknown') {
    throw new SamClipError('INVALID_IMAGE', `${prefix}not a recognised image (no JPEG, PNG or WebP signature).`, { source: options.source });
  }
  throw new SamClipError('INVALID_IMAGE', `${prefix}${format.toUpperCase()} images are not supported in Node; convert to JPEG, PNG or WebP.`, { format, source: options.source });
}

/** Reads and decodes a JPEG, PNG or WebP file. */
export async function readImageFile(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new SamClipError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO',
      code === 'ENOENT' ? `Image file not found: ${path}.` : `Cannot read image file ${path}: ${(cause as Error).message}.`,
      { path },
      { cause },
    );
  }
  return decodeImage(bytes, { ...options, source: options.source ?? path });
}

/** Resolves file paths, file: and http(s) URLs, and encoded bytes (Buffer, Uint8Array, ArrayBuffer) in Node. */
export const nodeImageResolver: ImageResolver = async (input, limits) => {
  if (typeof input === 'string' && /^https?:\/\//i.test(input)) {
    const response = await fetch(input).catch((cause: unknown) => {
      throw new SamClipError('IO', `Could not fetch the image ${input}: ${cause instanceof Error ? cause.message : String(cause)}.`, { url: input }, { cause });
    });
    if (!response.ok) throw new SamClipError(response.status === 404 ? 'NOT_FOUND' : 'IO', `Fetching the image ${input} failed with HTTP ${response.status}.`, { url: input });
    return decodeImage(new Uint8Array(await response.arrayBuffer()), { ...limits, source: input });
  }
  if (typeof input === 'string') return readImageFile(input.startsWith('file:') ? fileURLToPath(input) : input, limits);
  if (input instanceof URL && input.protocol === 'file:') return readImageFile(fileURLToPath(input), limits);
  if (input instanceof Uint8Array) return decodeImage(input, limits);
  if (input instanceof ArrayBuffer) return decodeImage(new Uint8Array(input), limits);
  return undefined;
};

/** Lets the task API (`loadImage`, SamClip methods) accept file paths and encoded bytes in Node. */
export function registerNodeImageDecoder(): void {
  registerImageResolver(nodeImageResolver);
}

/** Encodes an RGB image as PNG. */
export function encodePng(image: RgbImage): Uint8Array {
  return pngjs.PNG.sync.write(Object.assign(new pngjs.PNG({ width: image.width, height: image.height }), { data: Buffer.from(image.data) }), {
    colorType: 2,
    inputColorType: 2,
    inputHasAlpha: false,
  });
}

/** Encodes a binary mask as an 8-bit grayscale PNG (foreground 255, background 0). */
export function encodeMaskPng(mask: BinaryMask): Uint8Array {
  const gray = Buffer.alloc(mask.width * mask.height);
  for (let i = 0; i < gray.length; i++) gray[i] = mask.data[i] ? 255 : 0;
  return pngjs.PNG.sync.write(Object.assign(new pngjs.PNG({ width: mask.width, height: mask.height }), { data: gray }), {
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
  });
}
