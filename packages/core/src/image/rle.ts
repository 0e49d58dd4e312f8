/**
 * COCO run-length encoding, compatible with pycocotools: runs are counted in column-major
 * (Fortran) order, alternate background/foreground starting with background, and the compact
 * string form is pycocotools' 6-bits-per-character LEB128 variant with delta coding.
 */
import { SamClipError } from '../errors.js';
import type { BinaryMask } from './types.js';

/** Uncompressed COCO RLE: `size` is [height, width]. */
export interface CocoRle {
  size: [number, number];
  counts: number[];
}

/** Compressed COCO RLE as pycocotools' `encode` returns it (counts as a string). */
export interface CocoRleString {
  size: [number, number];
  counts: string;
}

/**
 * Encodes a mask. `bbox` ([x, y, width, height] enclosing every foreground pixel, e.g. from
 * maskStats) lets the scan skip the background around it, which is most of a large image.
 */
export function encodeRle(mask: BinaryMask, bbox?: readonly [number, number, number, number]): CocoRle {
  const { width, height, data } = mask;
  const [bx, by, bw, bh] = bbox ?? [0, 0, width, height];
  const counts: number[] = [];
  let current = 0;
  // Everything before the box's first column is background.
  let run = bx * height;
  for (let x = bx; x < bx + bw; x++) {
    if (current !== 0 && by > 0) {
      counts.push(run);
      run = 0;
      current = 0;
    }
    run += by;
    for (let y = by; y < by + bh; y++) {
      const v = data[y * width + x] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
    const below = height - by - bh;
    if (current !== 0 && below > 0) {
      counts.push(run);
      run = 0;
      current = 0;
    }
    run += below;
  }
  if (current !== 0 && bx + bw < width) {
    counts.push(run);
    run = 0;
    current = 0;
  }
  run += (width - bx - bw) * height;
  counts.push(run);
  return { size: [height, width], counts };
}

export function decodeRle(rle: CocoRle | CocoRleString): BinaryMask {
  const [height, width] = rle.size;
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  const total = height * width;
  const data = new Uint8Array(total);
  let position = 0;
  let value = 0;
  for (const run of counts) {
    if (!Number.isInteger(run) || run < 0 || position + run > total) {
      throw new SamClipError('INVALID_ARGUMENT', `RLE counts do not fit a ${width}×${height} mask (run of ${run} at pixel ${position}).`, { size: rle.size });
    }
    if (value) {
      for (let i = position; i < position + run; i++) data[(i % height) * width + Math.floor(i / height)] = 1;
    }
    position += run;
    value ^= 1;
  }
  if (position !== total) {
    throw new SamClipError('INVALID_ARGUMENT', `RLE counts cover ${position} pixels but a ${width}×${height} mask has ${total}.`, { size: rle.size });
  }
  return { width, height, data };
}

/** pycocotools' rleToString. */
export function rleCountsToString(counts: readonly number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i]!;
    if (i > 2) x -= counts[i - 2]!;
    let more = true;
    while (more) {
      // Arithmetic instead of 32-bit bit operations so large runs on big masks stay exact.
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** pycocotools' rleFrString. */
export function rleCountsFromString(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new SamClipError('INVALID_ARGUMENT', 'The RLE string ends in the middle of a count; it is truncated or corrupt.');
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new SamClipError('INVALID_ARGUMENT', `The RLE string has an invalid character '${text[p]}' at ${p}.`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      // The last group's 0x10 bit is the sign: sign-extend from 5·k bits.
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

export function encodeRleString(mask: BinaryMask, bbox?: readonly [number, number, number, number]): CocoRleString {
  const rle = encodeRle(mask, bbox);
  return { size: rle.size, counts: rleCountsToString(rle.counts) };
}

/** Foreground pixel count straight from the runs. */
export function rleArea(rle: CocoRle | CocoRleString): number {
  const counts = typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts;
  let area = 0;
  for (let i = 1; i < counts.length; i += 2) area += counts[i]!;
  return area;
}
