import { hostFromNumbers, hostNumbers, hostValue } from '../runtime/value.js';
import type { Kernel } from './types.js';

/** Computed on the host: ranges are small and usually constant, so they fold at load. */
export const Range: Kernel = {
  opType: 'Range',
  run: (ctx) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => hostNumbers(ctx.host(i))[0]!) as [number, number, number];
    const count = Math.max(Math.ceil((limit - start) / delta), 0);
    const values = Array.from({ length: count }, (_, i) => start + i * delta);
    return [hostValue(hostFromNumbers(ctx.dtype(0), [count], values))];
  },
};
