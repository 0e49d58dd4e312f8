import type { Kernel } from './types.js';
import { elementCount, hostFromNumbers, hostValue } from '../runtime/value.js';

/** Reads only the input's dims, so the planner folds it whenever the input shape is static. */
export const Size: Kernel = {
  opType: 'Size',
  shapeOnly: true,
  run: (ctx) => [hostValue(hostFromNumbers('int64', [], [elementCount(ctx.dims(0))]))],
  inferShapes: () => [[]],
};
