import { deviceValue } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { convAttributes, convChannelsLast } from './conv-util.js';
import { convOutputShape } from './conv-shape.js';
import { INTERNAL_DOMAIN } from './internal.js';

/** Conv on channels-last input with [...kernel, C/g, M] filters: what the layout pass rewrites 2-D Conv into. */
export const ConvNHWC: Kernel = {
  opType: 'ConvNHWC',
  domain: INTERNAL_DOMAIN,
  run: (ctx) => {
    const x = ctx.dims(0);
    const attrs = convAttributes(ctx, x.slice(1, -1), ctx.dims(1).slice(0, -2));
    return [deviceValue(convChannelsLast(ctx.tensor(0), ctx.tensor(1), ctx.has(2) ? ctx.tensor(2) : undefined, attrs), ctx.dtype(0))];
  },
  inferShapes: (ctx) => [convOutputShape(ctx, true)],
};
