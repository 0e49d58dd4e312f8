import type { Kernel } from './types.js';
import { castValue } from './Cast.js';
import { sameShape } from './util.js';

export const CastLike: Kernel = {
  opType: 'CastLike',
  run: (ctx) => [castValue(ctx.tensor(0), ctx.dtype(0), ctx.dtype(1))],
  inferShapes: sameShape,
};
