/**
 * The numbers the matrix reports, computed on float data: error against a reference, cosine
 * similarity, binary-mask IoU and CLIP top-1 agreement. Pure functions, browser-safe.
 */

/** Largest |a - b| over all elements; NaN anywhere makes it Infinity so no check can pass by accident. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= worst)) worst = Number.isNaN(diff) ? Infinity : diff;
  }
  return worst;
}

/** Largest |x|: the scale relative tolerances are measured against. */
export function maxAbs(values: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]!));
  return worst;
}

/** Cosine similarity of two flat vectors (1 for two zero vectors, 0 when only one is zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, start = 0, end = a.length): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = start; i < end; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  const value = dot / Math.sqrt(na * nb);
  return Number.isNaN(value) ? 0 : value;
}

/** The smallest cosine over rows of `width` elements (per-text embeddings, per-mask logits). */
export function minRowCosine(a: ArrayLike<number>, b: ArrayLike<number>, width: number): number {
  if (a.length !== b.length || width <= 0 || a.length % width !== 0) return 0;
  let worst = 1;
  for (let start = 0; start < a.length; start += width) worst = Math.min(worst, cosine(a, b, start, start + width));
  return worst;
}

/**
 * IoU of the masks `actual > threshold` and `expected` (itself thresholded at `expectedThreshold`),
 * over one plane `[start, end)`. Two empty masks agree perfectly (IoU 1).
 */
export function maskIou(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { threshold?: number; expectedThreshold?: number; start?: number; end?: number; expectedStart?: number } = {},
): number {
  const threshold = options.threshold ?? 0;
  const expectedThreshold = options.expectedThreshold ?? threshold;
  const start = options.start ?? 0;
  const end = options.end ?? actual.length;
  const offset = (options.expectedStart ?? start) - start;
  let intersection = 0;
  let union = 0;
  for (let i = start; i < end; i++) {
    const a = actual[i]! > threshold;
    const e = expected[i + offset]! > expectedThreshold;
    if (a && e) intersection++;
    if (a || e) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

/** Index of the largest value (first on ties); -1 for an empty list. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (best < 0 || values[i]! > values[best]!) best = i;
  return best;
}

/**
 * CLIP zero-shot logits: `scale · cos(image, text_b)` for each of the B text rows of `texts`
 * (the graphs do not normalise their embeddings, so this does).
 */
export function clipLogits(image: ArrayLike<number>, texts: ArrayLike<number>, width: number, scale: number): number[] {
  const logits: number[] = [];
  const imageRow = Array.from({ length: width }, (_, i) => image[i]!);
  for (let start = 0; start + width <= texts.length; start += width) {
    const textRow = Array.from({ length: width }, (_, i) => texts[start + i]!);
    logits.push(scale * cosine(imageRow, textRow));
  }
  return logits;
}

/** The median of a list (the mean of the middle two for even lengths); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
