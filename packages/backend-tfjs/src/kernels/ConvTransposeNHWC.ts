import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { convTransposeChannelsLast, convTransposePlan } from './conv-transpose-util.js';
import { INTERNAL_DOMAIN } from './internal.js';

/** ConvTranspose on channels-last input (ONNX weights): what the layout pass rewrites 2-D ConvTranspose into. */
export const ConvTransposeNHWC: Kernel = {
  opType: 'ConvTransposeNHWC',
  domain: INTERNAL_DOMAIN,
  run: (ctx) => {
    const plan = convTransposePlan(ctx, ctx.dims(0).slice(1, -1), ctx.dims(1).slice(2));
    return [deviceValue(convTransposeChannelsLast(ctx.tensor(0), ctx.tensor(1), ctx.has(2) ? ctx.tensor(2) : undefined, plan), ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const x = ctx.shape(0);
    const w = ctx.shape(1);
    if (!x || !w) return [undefined];
    const plan = convTransposePlan(ctx, x.slice(1, -1), w.slice(2));
    return [[x[0]!, ...plan.outSpatial, w[1]! * plan.group]];
  },
};
