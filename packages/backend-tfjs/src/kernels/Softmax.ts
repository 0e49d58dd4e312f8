import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { softmaxAlong } from './softmax-util.js';
import { sameShape } from './util.js';

export const Softmax: Kernel = {
  opType: 'Softmax',
  run: (ctx) => [deviceValue(softmaxAlong(ctx, false), ctx.dtype(0))],
  inferShapes: sameShape,
};
