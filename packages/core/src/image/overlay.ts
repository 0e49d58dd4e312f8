/**
 * Visual outputs: masks and label maps painted over the image with a fixed palette, so the same
 * class or instance keeps its colour across runs.
 */
import { SamClipError } from '../errors.js';
import type { BinaryMask, RgbImage } from './types.js';

export type Rgb = readonly [number, number, number];

/** A 20-colour qualitative palette (Tableau 20 order), cycled for more entries. */
export const DEFAULT_PALETTE: readonly Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
  [174, 199, 232], [255, 187, 120], [152, 223, 138], [255, 152, 150], [197, 176, 213],
  [196, 156, 148], [247, 182, 210], [199, 199, 199], [219, 219, 141], [158, 218, 229],
];

export function paletteColor(index: number, palette: readonly Rgb[] = DEFAULT_PALETTE): Rgb {
  return palette[((index % palette.length) + palette.length) % palette.length]!;
}

export interface OverlayOptions {
  palette?: readonly Rgb[];
  /** Opacity of the colour over the image, 0..1 (default 0.5). */
  alpha?: number;
}

/** Blends each mask's colour over a copy of the image; later masks paint over earlier ones. */
export function overlayMasks(image: RgbImage, masks: readonly BinaryMask[], options: OverlayOptions = {}): RgbImage {
  const alpha = options.alpha ?? 0.5;
  const out = Uint8Array.from(image.data);
  masks.forEach((mask, index) => {
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new SamClipError('SHAPE', `Mask ${index} is ${mask.width}×${mask.height} but the image is ${image.width}×${image.height}.`);
    }
    const color = paletteColor(index, options.palette);
    for (let i = 0; i < mask.data.length; i++) {
      if (!mask.data[i]) continue;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(out[i * 3 + c]! * (1 - alpha) + color[c]! * alpha);
    }
  });
  return { width: image.width, height: image.height, data: out };
}

/**
 * Colours a label map (one class index per pixel). `ignore` marks pixels left uncoloured
 * (e.g. background); with an image they show it, otherwise they are black.
 */
export function colorizeLabelMap(
  labels: { width: number; height: number; data: ArrayLike<number> },
  options: OverlayOptions & { image?: RgbImage; ignore?: number } = {},
): RgbImage {
  const { width, height, data } = labels;
  const { image, ignore } = options;
  if (image && (image.width !== width || image.height !== height)) {
    throw new SamClipError('SHAPE', `Label map is ${width}×${height} but the image is ${image.width}×${image.height}.`);
  }
  const alpha = image ? (options.alpha ?? 0.5) : 1;
  const out = image ? Uint8Array.from(image.data) : new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const label = data[i]!;
    if (label === ignore) continue;
    const color = paletteColor(label, options.palette);
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(out[i * 3 + c]! * (1 - alpha) + color[c]! * alpha);
  }
  return { width, height, data: out };
}
