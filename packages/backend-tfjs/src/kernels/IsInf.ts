import * as tf from '@tensorflow/tfjs-core';
import { deviceValue } from '../runtime/value.js';
import { toBool } from './tensor-util.js';
import type { Kernel } from './types.js';
import { sameShape } from './util.js';

export const IsInf: Kernel = {
  opType: 'IsInf',
  run: (ctx) => {
    const x = ctx.tensor(0);
    const positive = ctx.attrInt('detect_positive', 1) ? tf.equal(x, Infinity) : toBool(tf.zerosLike(x));
    const negative = ctx.attrInt('detect_negative', 1) ? tf.equal(x, -Infinity) : toBool(tf.zerosLike(x));
    return [deviceValue(tf.logicalOr(positive, negative), 'bool')];
  },
  inferShapes: sameShape,
};
