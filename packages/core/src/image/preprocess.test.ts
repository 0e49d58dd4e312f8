import { describe, expect, it } from 'vitest';
import { centerCrop, preprocessForClip, preprocessForSam, resizedSizeForLongestSide, resizedSizeForShortestSide } from './preprocess.js';
import type { RgbImage } from './types.js';

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x % 256, y % 256, (x + y) % 256], (y * width + x) * 3);
  return { width, height, data };
}

describe('SAM preprocessing', () => {
  it('resizes the longest side with int(side·scale + 0.5): 1800×1200 → 1024×683', () => {
    expect(resizedSizeForLongestSide({ width: 1800, height: 1200 }, 1024)).toEqual({ width: 1024, height: 683 });
    expect(resizedSizeForLongestSide({ width: 480, height: 640 }, 1024)).toEqual({ width: 768, height: 1024 });
    expect(resizedSizeForLongestSide({ width: 3, height: 1 }, 64)).toEqual({ width: 64, height: 21 });
  });

  it('normalises in float32 and zero-pads bottom/right after normalisation', () => {
    const image = gradient(8, 4);
    const mean = [123.675, 116.28, 103.53] as const;
    const std = [58.395, 57.12, 57.375] as const;
    const { pixelValues, dims, inputSize } = preprocessForSam(image, { longestSide: 16, mean, std });
    expect(dims).toEqual([1, 3, 16, 16]);
    expect(inputSize).toEqual({ width: 16, height: 8 });
    // Padding rows stay exactly 0 in every channel.
    for (let c = 0; c < 3; c++) for (let y = 8; y < 16; y++) for (let x = 0; x < 16; x++) expect(pixelValues[c * 256 + y * 16 + x]).toBe(0);
    // A no-resize case checks the normalisation formula directly.
    const same = preprocessForSam(image, { longestSide: 8, mean, std });
    expect(same.pixelValues[0]).toBeCloseTo((0 - 123.675) / 58.395, 6);
    expect(same.pixelValues[64 + 1 * 8 + 2]).toBeCloseTo((1 - 116.28) / 57.12, 6);
    expect(same.pixelValues[128 + 3 * 8 + 7]).toBeCloseTo((10 - 103.53) / 57.375, 6);
  });
});

describe('CLIP preprocessing', () => {
  it('resizes the shortest side as torchvision and center-crops with half-to-even offsets', () => {
    expect(resizedSizeForShortestSide({ width: 640, height: 480 }, 224)).toEqual({ width: 298, height: 224 });
    expect(resizedSizeForShortestSide({ width: 300, height: 301 }, 224)).toEqual({ width: 224, height: 224 });
    // (7 − 4)/2 = 1.5 → 2; (9 − 4)/2 = 2.5 → 2
    const wide = centerCrop(gradient(7, 9), 4, 4);
    expect(wide.data[0]).toBe(2);
    expect(wide.data[1]).toBe(2);
  });

  it('produces R×R planar input', () => {
    const out = preprocessForClip(gradient(40, 30), { size: 16, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(out.dims).toEqual([1, 3, 16, 16]);
    expect(out.pixelValues.length).toBe(3 * 16 * 16);
  });
});
