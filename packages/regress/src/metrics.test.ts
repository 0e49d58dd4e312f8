import { describe, expect, it } from 'vitest';
import { argmax, clipLogits, cosine, maskIou, maxAbsDiff, median, minRowCosine } from './metrics.js';

describe('matrix metrics', () => {
  it('max abs error treats NaN and shape mismatches as infinitely wrong', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([1, NaN], [1, 2])).toBe(Infinity);
    expect(maxAbsDiff([1], [1, 2])).toBe(Infinity);
  });

  it('cosine and per-row cosine', () => {
    expect(cosine([1, 0], [1, 0])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [0, 1])).toBeCloseTo(0, 12);
    expect(cosine([0, 0], [1, 0])).toBe(0);
    expect(minRowCosine([1, 0, 0, 1], [1, 0, 1, 0], 2)).toBeCloseTo(0, 12);
  });

  it('mask IoU at logit threshold 0, planes offset independently', () => {
    expect(maskIou([1, -1, 1, -1], [1, 1, 1, -1])).toBeCloseTo(2 / 3, 12);
    expect(maskIou([-1, -1], [-1, -1])).toBe(1);
    // Plane 1 of the actual tensor against plane 0 of a uint8 reference.
    expect(maskIou([0, 0, 5, -5], [1, 0], { start: 2, end: 4, expectedStart: 0, expectedThreshold: 0 })).toBe(1);
  });

  it('CLIP logits pick the text closest to the image', () => {
    const logits = clipLogits([1, 0], [0, 1, 2, 0.1, -1, 0], 2, 100);
    expect(argmax(logits)).toBe(1);
    expect(logits[0]).toBeCloseTo(0, 9);
  });

  it('median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
