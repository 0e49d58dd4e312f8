import * as tf from '@tensorflow/tfjs-core';
import { deviceValue, isFloatType } from '../runtime/value.js';
import { toFloat, toInt } from './tensor-util.js';
import type { Kernel } from './types.js';
import { maxPool, maxPoolIndices, poolGeometry } from './pool-util.js';

export const MaxPool: Kernel = {
  opType: 'MaxPool',
  run: (ctx) => {
    const dtype = ctx.dtype(0);
    const x = toFloat(ctx.tensor(0));
    const g = poolGeometry(ctx, ctx.dims(0).slice(2));
    const { values } = maxPool(x, g);
    const y = isFloatType(dtype) ? values : toInt(tf.round(values));
    const wantIndices = (ctx.node.outputs[1] ?? '') !== '';
    return [deviceValue(y, dtype), wantIndices ? deviceValue(maxPoolIndices(x, g, ctx.attrInt('storage_order', 0)), 'int64') : undefined];
  },
};
