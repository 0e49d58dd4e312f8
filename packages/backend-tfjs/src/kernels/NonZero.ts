import { hostFromNumbers, hostNumbers, hostValue } from '../runtime/value.js';
import type { Kernel } from './types.js';

/** Output size depends on the data, so it is computed on the host: [rank, count] int64 coordinates. */
export const NonZero: Kernel = {
  opType: 'NonZero',
  run: (ctx) => {
    const dims = ctx.dims(0);
    const values = hostNumbers(ctx.host(0));
    const hits: number[] = [];
    values.forEach((v, i) => v !== 0 && hits.push(i));
    const out = new Array<number>(dims.length * hits.length);
    hits.forEach((flat, j) => {
      let rest = flat;
      for (let d = dims.length - 1; d >= 0; d--) {
        out[d * hits.length + j] = rest % dims[d]!;
        rest = Math.floor(rest / dims[d]!);
      }
    });
    return [hostValue(hostFromNumbers('int64', [dims.length, hits.length], out))];
  },
};
