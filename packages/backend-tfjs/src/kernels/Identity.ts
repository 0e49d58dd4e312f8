import type { Kernel } from './types.js';
import { sameShape } from './util.js';

/** Passes its input through; the executor gives the output its own reference. */
export const Identity: Kernel = {
  opType: 'Identity',
  run: (ctx) => [ctx.value(0)],
  inferShapes: sameShape,
};
