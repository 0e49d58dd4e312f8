/**
 * Agreement metrics between a reference output and a converted variant's output.
 */

export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** Largest |a − b|; Infinity when either holds a NaN the other does not. */
export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    const diff = Math.abs(x - y);
    if (diff > max) max = diff;
  }
  return max;
}

/** Intersection over union of the masks `logits > threshold`; 1 when both masks are empty. */
export function maskIoU(a: ArrayLike<number>, b: ArrayLike<number>, threshold = 0): number {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! > threshold;
    const y = b[i]! > threshold;
    if (x && y) intersection++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : intersection / union;
}

/** Index of the largest value of each row of `rowLength` elements. */
export function argmaxRows(values: ArrayLike<number>, rowLength: number): Int32Array {
  const rows = Math.floor(values.length / rowLength);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < rowLength; c++) {
      const v = values[r * rowLength + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/**
 * Zero-shot labels: for each row of `embeddings` (length E), the index of the most similar row of
 * `classes` by cosine similarity.
 */
export function nearestClass(embeddings: ArrayLike<number>, classes: ArrayLike<number>, dim: number): Int32Array {
  const classCount = Math.floor(classes.length / dim);
  const norms = new Float64Array(classCount);
  for (let k = 0; k < classCount; k++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += classes[k * dim + d]! ** 2;
    norms[k] = Math.sqrt(sum) || 1;
  }
  const scores = new Float64Array(Math.floor(embeddings.length / dim) * classCount);
  const rows = Math.floor(embeddings.length / dim);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < classCount; k++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += embeddings[r * dim + d]! * classes[k * dim + d]!;
      scores[r * classCount + k] = dot / norms[k]!;
    }
  }
  return argmaxRows(scores, classCount);
}

export function agreement(a: Int32Array, b: Int32Array): number {
  if (a.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
