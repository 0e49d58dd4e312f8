import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { isSamClipError } from '../errors.js';
import { loadImage } from './convert.js';
import { decodeImage, encodeMaskPng, encodePng, readImageFile, readJpegHeader, registerNodeImageDecoder } from './node.js';
import type { RgbImage } from './types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const sharedImages = path.resolve(repoRoot, '../shared/data/images');

/** 16×8: left half red, right half blue. */
function halves(): RgbImage {
  const width = 16;
  const height = 8;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  return { width, height, data };
}

function jpegBytes(image: RgbImage): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) rgba.set([...image.data.subarray(i * 3, i * 3 + 3), 255], i * 4);
  return new Uint8Array(jpeg.encode({ width: image.width, height: image.height, data: rgba }, 95).data);
}

/** Offset of the SOF0 segment's height field. */
function sofSizeOffset(bytes: Uint8Array): number {
  for (let i = 2; i < bytes.length - 1; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xc0) return i + 5;
  throw new Error('no SOF0');
}

/** An APP1 Exif segment (big-endian TIFF) holding only the Orientation tag. */
function exifSegment(orientation: number): Uint8Array {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0, 0, 0];
  const body = [...'Exif'].map((c) => c.charCodeAt(0)).concat([0, 0], tiff);
  const length = body.length + 2;
  return Uint8Array.from([0xff, 0xe1, length >> 8, length & 0xff, ...body]);
}

async function expectInvalid(run: () => unknown, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(isSamClipError(error, 'INVALID_IMAGE')).toBe(true);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain('\n');
    return;
  }
  throw new Error('expected an INVALID_IMAGE error');
}

describe('Node image decoding', () => {
  it('round-trips PNG exactly and drops alpha', () => {
    const image = halves();
    expect(decodeImage(encodePng(image))).toEqual({ width: 16, height: 8, data: image.data });
    const mask = { width: 3, height: 2, data: Uint8Array.from([1, 0, 1, 0, 1, 0]) };
    const decoded = pngjs.PNG.sync.read(Buffer.from(encodeMaskPng(mask)));
    expect(Array.from({ length: 6 }, (_, i) => decoded.data[i * 4])).toEqual([255, 0, 255, 0, 255, 0]);
  });

  it('decodes JPEG and applies EXIF orientation 6 (rotate 90° clockwise)', () => {
    const bytes = jpegBytes(halves());
    const plain = decodeImage(bytes);
    expect([plain.width, plain.height]).toEqual([16, 8]);
    const rotated = decodeImage(Uint8Array.from([0xff, 0xd8, ...exifSegment(6), ...bytes.subarray(2)]));
    expect([rotated.width, rotated.height]).toEqual([8, 16]);
    const at = (x: number, y: number) => Array.from(rotated.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3));
    // The red left half is now on top, blue at the bottom.
    expect(at(4, 2)[0]).toBeGreaterThan(200);
    expect(at(4, 13)[2]).toBeGreaterThan(200);
    expect(readJpegHeader(Uint8Array.from([0xff, 0xd8, ...exifSegment(8), ...bytes.subarray(2)])).orientation).toBe(8);
  });

  it('decodes lossless and lossy WebP (made by Pillow) and checks the WebP header size first', async () => {
    // 8×6: top rows red | blue halves, bottom rows green; Image.save(..., 'WEBP', lossless=True / quality=90).
    const lossless = Uint8Array.from(Buffer.from('UklGRjAAAABXRUJQVlA4TCQAAAAvB0ABABcwyAKCIv9HExAU+T/a/Ad3BgQChEmTNk1E9H8CZD0=', 'base64'));
    const lossy = Uint8Array.from(
      Buffer.from(
        'UklGRnwAAABXRUJQVlA4IHAAAABwAwCdASoIAAYAAMASJbACdLcA/QBsgH9Asiv9QOtVBsBQZ8gA/vt9/ejuOqf9BL635dJoBX/+f//7//8z8KJT/7P4F/hq5Pb/9w58EomdM/+o2f/X4/9e/9Klh2b/7vQEx1dvP/fiHFfdxX/ujoAA',
        'base64',
      ),
    );
    const exact = decodeImage(lossless);
    expect([exact.width, exact.height]).toEqual([8, 6]);
    const px = (image: RgbImage, x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
    expect(px(exact, 0, 0)).toEqual([255, 0, 0]);
    expect(px(exact, 7, 0)).toEqual([0, 0, 255]);
    expect(px(exact, 3, 5)).toEqual([0, 200, 0]);
    const approx = decodeImage(lossy);
    expect([approx.width, approx.height]).toEqual([8, 6]);
    expect(px(approx, 3, 5)[1]).toBeGreaterThan(150);
    const huge = Uint8Array.from(lossless);
    // VP8L holds 14-bit sizes: 16384×16384 is the largest it can claim (268 MP).
    new DataView(huge.buffer).setUint32(21, ((16383 << 14) | 16383) >>> 0, true);
    await expectInvalid(() => decodeImage(huge), /over the limit/);
    await expectInvalid(() => decodeImage(lossy.subarray(0, 40)), /corrupt WebP/);
  });

  it('refuses a 50,000×50,000 header before allocating', async () => {
    const bytes = jpegBytes(halves());
    const huge = Uint8Array.from(bytes);
    const at = sofSizeOffset(huge);
    huge.set([50000 >> 8, 50000 & 0xff, 50000 >> 8, 50000 & 0xff], at);
    await expectInvalid(() => decodeImage(huge), /50000×50000 .*over the limit/);
    const png = Uint8Array.from(encodePng(halves()));
    new DataView(png.buffer).setUint32(16, 50000);
    new DataView(png.buffer).setUint32(20, 50000);
    await expectInvalid(() => decodeImage(png), /50000×50000/);
  });

  it('reports 0×0, empty, corrupt and unknown inputs in one line', async () => {
    const zeroJpeg = Uint8Array.from(jpegBytes(halves()));
    zeroJpeg.set([0, 0, 0, 0], sofSizeOffset(zeroJpeg));
    await expectInvalid(() => decodeImage(zeroJpeg), /empty \(0×0/);
    const zeroPng = Uint8Array.from(encodePng(halves()));
    new DataView(zeroPng.buffer).setUint32(16, 0);
    await expectInvalid(() => decodeImage(zeroPng), /empty \(0×8/);
    await expectInvalid(() => decodeImage(new Uint8Array(0)), /empty \(0 bytes\)/);
    await expectInvalid(() => decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0x12, 0x34, 0x56, 1, 2, 3])), /corrupt JPEG/);
    const jpegFile = jpegBytes(halves());
    await expectInvalid(() => decodeImage(jpegFile.subarray(0, jpegFile.length >> 1)), /corrupt JPEG/);
    const badPng = Uint8Array.from(encodePng(halves()));
    badPng[badPng.length - 20] = badPng[badPng.length - 20]! ^ 0xff;
    await expectInvalid(() => decodeImage(badPng), /corrupt PNG/);
    await expectInvalid(() => decodeImage(new TextEncoder().encode('hello, not an image')), /not a recognised image/);
  });

  it('reads files and lets loadImage take paths and bytes once registered', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'samclip-image-'));
    const file = path.join(dir, 'halves.png');
    await writeFile(file, encodePng(halves()));
    registerNodeImageDecoder();
    expect((await loadImage(file)).width).toBe(16);
    expect((await loadImage(await readImageFile(file))).height).toBe(8);
    await expect(readImageFile(path.join(dir, 'missing.jpg'))).rejects.toThrow(/not found/);
    await expectInvalid(() => loadImage(file, { maxPixels: 100 }), /over the limit/);
  });

  it('decodes the shared test photos', async (context) => {
    if (!existsSync(sharedImages)) {
      if (process.env.CI) throw new Error(`Shared test images are missing at ${sharedImages}; CI needs ../shared next to the repo.`);
      context.skip();
    }
    const image = await readImageFile(path.join(sharedImages, 'dog.jpg'));
    expect(image.width * image.height * 3).toBe(image.data.length);
    expect(image.width).toBeGreaterThan(0);
  });
});
