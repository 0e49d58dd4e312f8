import { SamClipError } from '@samclip/core';
import { hostFromNumbers, hostValue } from '../runtime/value.js';
import { initializerTensor } from '../runtime/initializer.js';
import type { Kernel } from './types.js';

export const Constant: Kernel = {
  opType: 'Constant',
  run: (ctx) => {
    const tensor = ctx.attrTensor('value');
    if (tensor) return [hostValue(initializerTensor(tensor))];
    const float = ctx.attrFloat('value_float');
    if (float !== undefined) return [hostValue(hostFromNumbers('float32', [], [float]))];
    const floats = ctx.attrFloats('value_floats');
    if (floats) return [hostValue(hostFromNumbers('float32', [floats.length], floats))];
    const int = ctx.attrInt('value_int');
    if (int !== undefined) return [hostValue(hostFromNumbers('int64', [], [int]))];
    const ints = ctx.attrInts('value_ints');
    if (ints) return [hostValue(hostFromNumbers('int64', [ints.length], ints))];
    throw new SamClipError('UNSUPPORTED_OP', `Constant node "${ctx.node.name}" holds a kind of value TensorFlow.js backends cannot represent (strings or sparse tensors); use ort-node or ort-wasm.`, { node: ctx.node.name });
  },
};
