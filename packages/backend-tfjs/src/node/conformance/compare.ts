/**
 * Output comparison with ONNX's backend-test tolerances: |actual − expected| ≤ atol + rtol·|expected|,
 * NaN matching NaN; integers and bools compare exactly. No case needs looser bounds: float16 and
 * float64 values are computed in float32 and still land within them.
 */
import type { Tensor } from '@samclip/core';
import { hostNumbers, isFloatType } from '../../runtime/value.js';

export const ONNX_TOLERANCE = { rtol: 1e-3, atol: 1e-7 } as const;

export interface Tolerance {
  rtol: number;
  atol: number;
}

export interface Mismatch {
  reason: string;
  maxAbsDiff?: number;
}

export function compareTensors(actual: Tensor, expected: Tensor, tolerance: Tolerance): Mismatch | undefined {
  if (actual.dtype !== expected.dtype) return { reason: `dtype ${actual.dtype}, expected ${expected.dtype}` };
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
    return { reason: `shape [${actual.dims.join(',')}], expected [${expected.dims.join(',')}]` };
  }
  const a = hostNumbers(actual);
  const e = hostNumbers(expected);
  const exact = !isFloatType(expected.dtype);
  let maxAbsDiff = 0;
  let bad = -1;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (x === y) continue;
    const diff = Math.abs(x - y);
    maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(diff) ? Infinity : diff);
    const ok = exact ? false : diff <= tolerance.atol + tolerance.rtol * Math.abs(y);
    if (!ok && bad < 0) bad = i;
  }
  if (bad < 0) return undefined;
  return { reason: `element ${bad}: ${a[bad]} vs expected ${e[bad]} (max |diff| ${maxAbsDiff.toPrecision(3)})`, maxAbsDiff };
}
