/**
 * Dequantization of com.microsoft MatMulNBits weights: B is [N, blocks, blockBytes] of packed
 * `bits`-wide unsigned codes (low bits first), one scale per (n, block), and zero points either
 * packed the same way or given as floats (default 2^(bits−1)). Produces Wᵀ as [K, N] float32.
 */
import { SamClipError } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { hostNumbers } from '../runtime/value.js';
import type { KernelContext } from './types.js';

export function dequantizeNBits(ctx: KernelContext, b: Tensor, scales: Tensor, zeroPoints: Tensor | undefined): Float32Array {
  const K = ctx.attrInt('K', 0);
  const N = ctx.attrInt('N', 0);
  const bits = ctx.attrInt('bits', 4);
  const blockSize = ctx.attrInt('block_size', 0);
  if (bits !== 4 && bits !== 8) {
    throw new SamClipError('UNSUPPORTED_OP', `MatMulNBits node "${ctx.node.name}" uses ${bits}-bit weights; the TensorFlow.js backends handle 4 and 8 bits. Use ort-node or ort-wasm.`, { node: ctx.node.name, bits });
  }
  const blocks = Math.ceil(K / blockSize);
  const codes = b.data as Uint8Array;
  const scale = hostNumbers(scales);
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  const code = (bytes: Uint8Array, index: number) => (bytes[Math.floor(index / perByte)]! >> ((index % perByte) * bits)) & mask;
  const packedZeros = zeroPoints && zeroPoints.dtype === 'uint8' ? (zeroPoints.data as Uint8Array) : undefined;
  const floatZeros = zeroPoints && !packedZeros ? hostNumbers(zeroPoints) : undefined;
  const zeroRowBytes = Math.ceil((blocks * bits) / 8);
  const out = new Float32Array(K * N);
  const blockBytes = (blockSize * bits) / 8;
  for (let n = 0; n < N; n++) {
    for (let blk = 0; blk < blocks; blk++) {
      const s = scale[n * blocks + blk]!;
      const zero = packedZeros
        ? code(packedZeros.subarray(n * zeroRowBytes, (n + 1) * zeroRowBytes), blk)
        : floatZeros
          ? floatZeros[n * blocks + blk]!
          : 1 << (bits - 1);
      const base = (n * blocks + blk) * blockBytes;
      const blockCodes = codes.subarray(base, base + blockBytes);
      for (let j = 0; j < blockSize; j++) {
        const k = blk * blockSize + j;
        if (k >= K) break;
        out[k * N + n] = (code(blockCodes, j) - zero) * s;
      }
    }
  }
  return out;
}
