/**
 * BackendRun ↔ JSON, for results computed inside the Chromium page: tensors travel as base64 of
 * their raw little-endian bytes. Browser-safe (atob/btoa exist in browsers and Node ≥ 16).
 */
import { createTensor, elementCount, rawBytesToTensorData, tensorDataToRawBytes } from '@samclip/core';
import type { DType, Tensor } from '@samclip/core';
import type { BackendRun } from './run-bundle.js';

interface WireTensor {
  $tensor: true;
  dtype: DType;
  dims: number[];
  base64: string;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'dtype' in value && 'dims' in value && 'data' in value && ArrayBuffer.isView((value as Tensor).data);
}

function isWireTensor(value: unknown): value is WireTensor {
  return typeof value === 'object' && value !== null && (value as WireTensor).$tensor === true;
}

/** A JSON string of the run, tensors included. */
export function serializeRun(run: BackendRun): string {
  return JSON.stringify(run, (_key, value: unknown) => {
    if (isTensor(value)) {
      const wire: WireTensor = { $tensor: true, dtype: value.dtype, dims: [...value.dims], base64: toBase64(tensorDataToRawBytes(value.dtype, value.data)) };
      return wire;
    }
    return value;
  });
}

export function deserializeRun(text: string): BackendRun {
  return JSON.parse(text, (_key, value: unknown) => {
    if (isWireTensor(value)) {
      const data = rawBytesToTensorData(value.dtype, fromBase64(value.base64), elementCount(value.dims));
      return createTensor(value.dtype, value.dims, data as never);
    }
    return value;
  }) as BackendRun;
}
