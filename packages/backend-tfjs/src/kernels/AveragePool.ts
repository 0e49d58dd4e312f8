import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { averagePool, poolGeometry } from './pool-util.js';

export const AveragePool: Kernel = {
  opType: 'AveragePool',
  run: (ctx) => {
    const g = poolGeometry(ctx, ctx.dims(0).slice(2));
    return [deviceValue(averagePool(ctx.tensor(0), g, ctx.attrInt('count_include_pad', 0) === 1), ctx.dtype(0))];
  },
};
