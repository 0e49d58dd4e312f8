import { deviceValue } from '../runtime/value.js';
import { transposeFast } from './transpose-util.js';
import type { Kernel } from './types.js';

function permutation(rank: number, perm: number[] | undefined): number[] {
  return perm ?? [...Array(rank).keys()].reverse();
}

export const Transpose: Kernel = {
  opType: 'Transpose',
  run: (ctx) => {
    const perm = permutation(ctx.dims(0).length, ctx.attrInts('perm'));
    return [deviceValue(transposeFast(ctx.tensor(0), perm), ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const s = ctx.shape(0);
    return [s && permutation(s.length, ctx.attrInts('perm')).map((p) => s[p]!)];
  },
};
