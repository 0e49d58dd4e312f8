/**
 * Transposes in the form engines run fastest. tfjs-wasm has tight loops for transposes of rank ≤ 4
 * (after dropping size-1 axes and leading axes that stay put) and falls back to a per-element
 * index computation above that, about 50× slower: the window partition of a SAM backbone
 * ([25,196,3,12,64] → [3,25,12,196,64]) took 1.4 s there. So axes that stay adjacent are merged
 * (a reshape, free), and on wasm a transpose still above rank 4 runs as a chain of lower-rank ones.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface CanonicalTranspose {
  /** Input shape with size-1 axes dropped and adjacent axes that stay adjacent merged. */
  shape: number[];
  perm: number[];
}

/** The smallest-rank transpose that moves the same elements as `perm` on `shape`. */
export function canonicalTranspose(shape: readonly number[], perm: readonly number[]): CanonicalTranspose {
  const kept = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const rankOf = new Map(kept.map((axis, i) => [axis, i]));
  const order = perm.filter((axis) => shape[axis] !== 1).map((axis) => rankOf.get(axis)!);
  // Runs of input axes that appear consecutively, in order, in the output.
  const runs: number[][] = [];
  for (const axis of order) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1]! + 1 === axis) last.push(axis);
    else runs.push([axis]);
  }
  const byInput = [...runs].sort((a, b) => a[0]! - b[0]!);
  return {
    shape: byInput.map((run) => run.reduce((n, axis) => n * shape[kept[axis]!]!, 1)),
    perm: runs.map((run) => byInput.indexOf(run)),
  };
}

/** How many leading axes stay in place: the engine runs those as a plain loop around the kernel. */
function fixedLead(perm: readonly number[]): number {
  let lead = 0;
  while (lead < perm.length && perm[lead] === lead) lead++;
  return lead;
}

const WASM_MAX_FAST_RANK = 4;

export function transposeFast(x: tf.Tensor, perm: readonly number[]): tf.Tensor {
  const outShape = perm.map((p) => x.shape[p]!);
  const canonical = canonicalTranspose(x.shape, perm);
  const lead = fixedLead(canonical.perm);
  if (lead === canonical.perm.length) return tf.reshape(x, outShape);
  const flat = tf.reshape(x, canonical.shape);
  if (canonical.perm.length - lead <= WASM_MAX_FAST_RANK || tf.getBackend() !== 'wasm') {
    return tf.reshape(tf.transpose(flat, canonical.perm), outShape);
  }
  // First move the first misplaced output axis into place (the others keep their order and merge
  // into at most two runs), then permute the axes behind it: one rank lower, recursively.
  const first = canonical.perm[lead]!;
  const rest = canonical.perm.slice(lead + 1);
  const ascending = [...rest].sort((a, b) => a - b);
  const leading = canonical.perm.slice(0, lead);
  const front = transposeFast(flat, [...leading, first, ...ascending]);
  return tf.reshape(transposeFast(front, [...leading, lead, ...rest.map((p) => lead + 1 + ascending.indexOf(p))]), outShape);
}
