import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { softmaxAlong } from './softmax-util.js';
import { sameShape } from './util.js';

export const LogSoftmax: Kernel = {
  opType: 'LogSoftmax',
  run: (ctx) => [deviceValue(softmaxAlong(ctx, true), ctx.dtype(0))],
  inferShapes: sameShape,
};
