import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { engineMatMul } from './matmul-util.js';
import { toFloat } from './tensor-util.js';
import { transposeFast } from './transpose-util.js';
import type { Kernel } from './types.js';

interface Term {
  letters: string[];
  tensor: tf.Tensor;
}

/** Expands "..." into fresh letters (aligned to the right across operands, as numpy broadcasts). */
function expandEllipsis(equation: string, ranks: readonly number[]): { inputs: string[][]; output: string[] | undefined } {
  const [lhs, rhs] = equation.replace(/\s/g, '').split('->') as [string, string | undefined];
  const parts = lhs.split(',');
  const used = new Set(equation.replace(/[^a-zA-Z]/g, ''));
  const fresh = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'].filter((c) => !used.has(c));
  let ellipsisRank = 0;
  parts.forEach((p, i) => {
    if (p.includes('...')) ellipsisRank = Math.max(ellipsisRank, ranks[i]! - p.replace('...', '').length);
  });
  const ell = fresh.slice(0, ellipsisRank);
  const inputs = parts.map((p, i) => {
    if (!p.includes('...')) return [...p];
    const n = ranks[i]! - p.replace('...', '').length;
    const [before, after] = p.split('...') as [string, string];
    return [...before, ...ell.slice(ellipsisRank - n), ...after];
  });
  let output: string[] | undefined;
  if (rhs !== undefined) output = rhs.includes('...') ? [...rhs.split('...')[0]!, ...ell, ...rhs.split('...')[1]!] : [...rhs];
  else {
    // Implicit output: ellipsis dims, then letters appearing once, alphabetically.
    const counts = new Map<string, number>();
    inputs.flat().forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1));
    output = [...ell, ...[...counts].filter(([l, c]) => c === 1 && !ell.includes(l)).map(([l]) => l).sort()];
  }
  return { inputs, output };
}

/** Takes the diagonal for letters repeated within one operand. */
function diagonalize(term: Term): Term {
  let { letters, tensor } = term;
  for (;;) {
    const dup = letters.findIndex((l, i) => letters.indexOf(l) !== i);
    if (dup < 0) return { letters, tensor };
    const first = letters.indexOf(letters[dup]!);
    const n = tensor.shape[first]!;
    const eyeShape = tensor.shape.map((_, i) => (i === first || i === dup ? n : 1));
    tensor = tf.sum(tf.mul(tensor, tf.reshape(tf.eye(n), eyeShape)), dup);
    letters = letters.filter((_, i) => i !== dup);
  }
}

function sumOut(term: Term, keep: (l: string) => boolean): Term {
  const drop = term.letters.map((l, i) => [l, i] as const).filter(([l]) => !keep(l));
  if (drop.length === 0) return term;
  return { letters: term.letters.filter((l) => keep(l)), tensor: tf.sum(term.tensor, drop.map(([, i]) => i)) };
}

function sizeOf(term: Term, letter: string): number {
  return term.tensor.shape[term.letters.indexOf(letter)]!;
}

/** Contracts two operands with one batched matMul: [batch, aFree, shared] × [batch, shared, bFree]. */
function contract(a: Term, b: Term, keep: ReadonlySet<string>): Term {
  const batch = a.letters.filter((l) => b.letters.includes(l) && keep.has(l));
  const shared = a.letters.filter((l) => b.letters.includes(l) && !keep.has(l));
  const aFree = a.letters.filter((l) => !b.letters.includes(l));
  const bFree = b.letters.filter((l) => !a.letters.includes(l));
  const batchDims = batch.map((l) => Math.max(sizeOf(a, l), sizeOf(b, l)));
  const arrange = (t: Term, order: string[], groups: string[][]) => {
    const moved = transposeFast(t.tensor, order.map((l) => t.letters.indexOf(l)));
    const target = order.map((l, i) => (batch.includes(l) ? batchDims[batch.indexOf(l)]! : moved.shape[i]!));
    const full = target.every((d, i) => d === moved.shape[i]) ? moved : tf.broadcastTo(moved, target);
    return tf.reshape(full, groups.map((g) => g.reduce((n, l) => n * (batch.includes(l) ? batchDims[batch.indexOf(l)]! : sizeOf(t, l)), 1)));
  };
  const left = arrange(a, [...batch, ...aFree, ...shared], [batch, aFree, shared]);
  const right = arrange(b, [...batch, ...shared, ...bFree], [batch, shared, bFree]);
  const product = engineMatMul(left, right);
  const shape = [...batchDims, ...aFree.map((l) => sizeOf(a, l)), ...bFree.map((l) => sizeOf(b, l))];
  return { letters: [...batch, ...aFree, ...bFree], tensor: tf.reshape(product, shape) };
}

/**
 * Einsum as a chain of pairwise contractions (batched matMuls), summing away each letter as soon
 * as neither the output nor a later operand needs it, so no operand is ever materialised as an
 * outer product.
 */
export function einsum(equation: string, tensors: readonly tf.Tensor[]): tf.Tensor {
  const { inputs, output } = expandEllipsis(equation, tensors.map((t) => t.rank));
  const terms = inputs.map((letters, i) => diagonalize({ letters, tensor: toFloat(tensors[i]!) }));
  const outLetters = output ?? [];
  let acc: Term | undefined;
  terms.forEach((term, index) => {
    const keep = new Set([...outLetters, ...terms.slice(index + 1).flatMap((t) => t.letters)]);
    if (!acc) {
      acc = sumOut(term, (l) => keep.has(l));
      return;
    }
    const current: Term = acc;
    const needed = (l: string, other: Term) => keep.has(l) || other.letters.includes(l);
    acc = contract(sumOut(current, (l) => needed(l, term)), sumOut(term, (l) => needed(l, current)), keep);
  });
  const result = acc!;
  return transposeFast(result.tensor, outLetters.map((l) => result.letters.indexOf(l)));
}

export const Einsum: Kernel = {
  opType: 'Einsum',
  run: (ctx) => {
    const tensors = Array.from({ length: ctx.inputCount }, (_, i) => ctx.tensor(i));
    return [deviceValue(einsum(ctx.attrString('equation', ''), tensors), ctx.dtype(0))];
  },
};
