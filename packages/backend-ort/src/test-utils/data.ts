import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTensor, float16ToFloat32 } from '@samclip/core';
import type { SessionValue, Tensor } from '@samclip/core';
import { expect } from 'vitest';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const onnxTestsDir = path.resolve(repoRoot, '../shared/data/onnx-node-tests');
export const tinyRandomManifest = path.join(repoRoot, 'fixtures/tiny-random/samclip.json');

/**
 * Whether the shared ONNX conformance cases are present. Under CI their absence is an error
 * (nothing may be skipped there); locally the caller skips.
 */
export function haveOnnxTests(): boolean {
  const present = existsSync(path.join(onnxTestsDir, 'test_add/model.onnx'));
  if (!present && process.env['CI'] === 'true') {
    throw new Error(`The ONNX conformance cases are missing: expected ${onnxTestsDir} (the shared data directory next to the repository).`);
  }
  return present;
}

export interface ConformanceCase {
  name: string;
  model: Uint8Array;
  inputs: Tensor[];
  outputs: Tensor[];
}

/** Reads a case's model and its first data set (inputs/outputs in graph order). */
export function readCase(name: string): ConformanceCase {
  const dir = path.join(onnxTestsDir, name);
  const dataDir = path.join(dir, 'test_data_set_0');
  const files = readdirSync(dataDir);
  const read = (prefix: string): Tensor[] =>
    files
      .filter((file) => file.startsWith(prefix) && file.endsWith('.pb'))
      .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
      .map((file) => readTensor(path.join(dataDir, file)));
  return { name, model: readFileSync(path.join(dir, 'model.onnx')), inputs: read('input_'), outputs: read('output_') };
}

export function readTensor(file: string): Tensor {
  return decodeTensor(readFileSync(file)).tensor;
}

function asNumbers(tensor: Tensor): number[] {
  if (tensor.dtype === 'float16') return Array.from(float16ToFloat32(tensor.data as Uint16Array));
  return Array.from(tensor.data as ArrayLike<number | bigint | string>, (value) => Number(value));
}

/** Element-wise equality within `abs + rel·|expected|` (exact for integer dtypes). */
export function expectTensorClose(actual: Tensor, expected: Tensor, label: string, abs = 1e-4, rel = 1e-3): void {
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect([...actual.dims], `${label} dims`).toEqual([...expected.dims]);
  const a = asNumbers(actual);
  const e = asNumbers(expected);
  expect(a.length, `${label} length`).toBe(e.length);
  const float = actual.dtype === 'float32' || actual.dtype === 'float16' || actual.dtype === 'float64';
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < e.length; i++) {
    const ai = a[i] as number;
    const ei = e[i] as number;
    if (ai === ei || (Number.isNaN(ei) && Number.isNaN(ai))) continue;
    const excess = Math.abs(ai - ei) - (float ? abs + rel * Math.abs(ei) : 0);
    if (excess > worst || Number.isNaN(excess)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      worstAt = i;
    }
  }
  expect(worstAt, `${label}: element ${worstAt} is ${a[worstAt]}, expected ${e[worstAt]}`).toBe(-1);
}

/** The value as a CPU tensor; fails the test when it is missing or still on the device. */
export function cpuTensor(value: SessionValue | undefined, label: string): Tensor {
  if (value === undefined) throw new Error(`${label}: no value was fetched`);
  if ('location' in value && value.location === 'device') throw new Error(`${label}: the value is still on the device`);
  return value as Tensor;
}
