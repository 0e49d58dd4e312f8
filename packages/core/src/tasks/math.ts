/** Small numeric helpers shared by the task implementations. */

/** Unit-length copy of a vector (a zero vector stays zero). */
export function l2Normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * scale;
  return out;
}

/** Normalises each `dim`-long row in place. */
export function l2NormalizeRowsInPlace(matrix: Float32Array, dim: number): Float32Array {
  for (let offset = 0; offset < matrix.length; offset += dim) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += matrix[offset + k]! * matrix[offset + k]!;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let k = 0; k < dim; k++) matrix[offset + k] = matrix[offset + k]! * scale;
  }
  return matrix;
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let sum = 0;
  for (let k = 0; k < dim; k++) sum += a[aOffset + k]! * b[bOffset + k]!;
  return sum;
}

/** Numerically stable softmax. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const exps = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Box as [x0, y0, x1, y1] (inclusive pixel corners, as SAM's batched_mask_to_box). */
export type BoxXYXY = [number, number, number, number];

/** IoU as torchvision's box_iou (areas (x1 − x0)·(y1 − y0)). */
export function boxIoU(a: BoxXYXY, b: BoxXYXY): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union <= 0 ? 0 : inter / union;
}

/** Greedy non-maximum suppression: indices kept, highest score first. */
export function nonMaxSuppression(boxes: readonly BoxXYXY[], scores: readonly number[], iouThreshold: number): number[] {
  const order = scores.map((_, i) => i).sort((i, j) => scores[j]! - scores[i]! || i - j);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.every((k) => boxIoU(boxes[i]!, boxes[k]!) <= iouThreshold)) kept.push(i);
  }
  return kept;
}
