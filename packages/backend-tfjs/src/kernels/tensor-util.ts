/** dtype conversions as functions (tfjs-core alone does not install the chained tensor methods). */
import * as tf from '@tensorflow/tfjs-core';

export function toFloat(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}

export function toInt(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'int32' ? t : tf.cast(t, 'int32');
}

export function toBool(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'bool' ? t : tf.cast(t, 'bool');
}
