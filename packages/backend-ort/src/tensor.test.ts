import { describe, expect, it } from 'vitest';
import * as ortWeb from 'onnxruntime-web';
import { isSamClipError } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import type { OrtApi } from './ort-api.js';
import { fromOrtTensor, toOrtTensor } from './tensor.js';

const ort = ortWeb as unknown as OrtApi;

describe('core Tensor ↔ ort.Tensor', () => {
  const cases: Tensor[] = [
    { dtype: 'float32', dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    { dtype: 'int64', dims: [3], data: new BigInt64Array([1n, -2n, 3n]) },
    { dtype: 'bool', dims: [2], data: new Uint8Array([1, 0]) },
    { dtype: 'int8', dims: [2], data: new Int8Array([-1, 1]) },
    { dtype: 'uint8', dims: [1, 3], data: new Uint8Array([0, 128, 255]) },
    { dtype: 'int32', dims: [], data: new Int32Array([7]) },
    { dtype: 'uint4', dims: [3], data: new Uint8Array([0x21, 0x03]) },
  ];

  it.each(cases)('$dtype shares its typed array both ways', (tensor) => {
    const wrapped = toOrtTensor(ort, tensor, 'test', 'x');
    expect(wrapped.type).toBe(tensor.dtype);
    expect(wrapped.dims).toEqual(tensor.dims);
    expect(wrapped.data).toBe(tensor.data);
    const back = fromOrtTensor(wrapped);
    expect(back.data).toBe(tensor.data);
    expect(back.dims).toEqual(tensor.dims);
  });

  it('float16 keeps the same bytes (Uint16Array in core, whatever view ort picks)', () => {
    const bits = new Uint16Array([0x3c00, 0x4000, 0xbc00]);
    const wrapped = toOrtTensor(ort, { dtype: 'float16', dims: [3], data: bits }, 'test', 'h');
    expect((wrapped.data as unknown as ArrayBufferView).buffer).toBe(bits.buffer);
    const back = fromOrtTensor(wrapped);
    expect(back.data).toBeInstanceOf(Uint16Array);
    expect((back.data as Uint16Array).buffer).toBe(bits.buffer);
    expect(Array.from(back.data as Uint16Array)).toEqual([0x3c00, 0x4000, 0xbc00]);
  });

  it('bfloat16 fails with UNSUPPORTED naming the tensor', () => {
    let error: unknown;
    try {
      toOrtTensor(ort, { dtype: 'bfloat16', dims: [1], data: new Uint16Array(1) }, 'ort-test', 'weights');
    } catch (e) {
      error = e;
    }
    expect(isSamClipError(error, 'UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toContain("ort-test: input 'weights' has dtype bfloat16");
  });
});
