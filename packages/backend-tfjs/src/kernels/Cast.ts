import * as tf from '@tensorflow/tfjs-core';
import type { DType } from '@samclip/core';
import { SamClipError } from '@samclip/core';
import { deviceValue, isFloatType, tfDtypeOf } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import { dtypeFromCode } from '../runtime/initializer.js';
import type { Kernel } from './types.js';
import { sameShape, wrapInteger } from './util.js';

/** Float → integer truncates toward zero; narrow integers wrap; anything → bool is "not zero". */
export function castValue(x: tf.Tensor, from: DType, to: DType): Value {
  const target = tfDtypeOf(to);
  if (target === 'bool') return deviceValue(tf.notEqual(x, 0), to);
  if (target === 'float32') return deviceValue(x.dtype === 'float32' ? tf.clone(x) : tf.cast(x, 'float32'), to);
  const truncated = isFloatType(from) ? tf.cast(tf.where(tf.isNaN(x), tf.zerosLike(x), x), 'int32') : tf.cast(x, 'int32');
  return deviceValue(wrapInteger(truncated, to), to);
}

export const Cast: Kernel = {
  opType: 'Cast',
  run: (ctx) => {
    const to = ctx.attrInt('to');
    if (to === undefined) throw new SamClipError('MODEL_DECODE', `Cast node "${ctx.node.name}" has no "to" attribute.`, { node: ctx.node.name });
    return [castValue(ctx.tensor(0), ctx.dtype(0), dtypeFromCode(to))];
  },
  inferShapes: sameShape,
};
