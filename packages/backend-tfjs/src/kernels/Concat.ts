import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, elementCount } from '../runtime/value.js';
import type { Kernel } from './types.js';
import { normalizeAxis } from './util.js';

export const Concat: Kernel = {
  opType: 'Concat',
  run: (ctx) => {
    const rank = ctx.dims(0).length;
    const axis = normalizeAxis(ctx.attrInt('axis', 0), rank, ctx.node);
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < ctx.inputCount; i++) if (elementCount(ctx.dims(i)) > 0) parts.push(ctx.tensor(i));
    const result = parts.length === 0 ? tf.clone(ctx.tensor(0)) : parts.length === 1 ? tf.clone(parts[0]!) : tf.concat(parts, axis);
    return [deviceValue(result, ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const shapes: Array<readonly number[]> = [];
    for (let i = 0; i < ctx.inputCount; i++) {
      const s = ctx.shape(i);
      if (!s) return [undefined];
      shapes.push(s);
    }
    const first = shapes[0]!;
    const axis = normalizeAxis(ctx.attrInt('axis', 0), first.length, ctx.node);
    const out = [...first];
    out[axis] = shapes.reduce((sum, s) => sum + s[axis]!, 0);
    return [out];
  },
};
