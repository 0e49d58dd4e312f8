import { hostFromNumbers, hostNumbers, hostValue, elementCount } from '../runtime/value.js';
import { initializerTensor } from '../runtime/initializer.js';
import type { Kernel } from './types.js';

/** Built on the host: its input is almost always a folded shape, so the planner folds the node too. */
export const ConstantOfShape: Kernel = {
  opType: 'ConstantOfShape',
  run: (ctx) => {
    const shape = ctx.numbers(0);
    const attr = ctx.attrTensor('value');
    const fill = attr ? initializerTensor(attr) : undefined;
    const dtype = fill?.dtype ?? 'float32';
    const value = fill ? (hostNumbers(fill)[0] ?? 0) : 0;
    return [hostValue(hostFromNumbers(dtype, shape, new Array<number>(elementCount(shape)).fill(value)))];
  },
  inferShapes: (ctx) => [ctx.constant(0)],
};
