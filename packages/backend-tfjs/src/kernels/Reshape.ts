import * as tf from '@tensorflow/tfjs-core';
import { SamClipError } from '@samclip/core';
import type { Node } from '@samclip/core';
import { deviceValue, elementCount } from '../runtime/value.js';
import type { Kernel } from './types.js';

/** Resolves 0 (copy the input dim unless allowzero) and -1 (infer) in a Reshape target. */
export function reshapeTarget(input: readonly number[], shape: readonly number[], allowZero: boolean, node: Node): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowZero ? (input[i] ?? 0) : d));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    const known = elementCount(out.filter((_, i) => i !== inferred));
    out[inferred] = known === 0 ? 0 : elementCount(input) / known;
  }
  if (elementCount(out) !== elementCount(input) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new SamClipError('SHAPE', `Reshape node "${node.name}" cannot reshape [${input.join(',')}] to [${shape.join(',')}].`, { node: node.name });
  }
  return out;
}

export const Reshape: Kernel = {
  opType: 'Reshape',
  run: (ctx) => {
    const target = reshapeTarget(ctx.dims(0), ctx.numbers(1), ctx.attrInt('allowzero', 0) === 1, ctx.node);
    return [deviceValue(tf.reshape(ctx.tensor(0), target), ctx.dtype(0))];
  },
  inferShapes: (ctx) => {
    const input = ctx.shape(0);
    const shape = ctx.constant(1);
    return [input && shape ? reshapeTarget(input, shape, ctx.attrInt('allowzero', 0) === 1, ctx.node) : undefined];
  },
};
