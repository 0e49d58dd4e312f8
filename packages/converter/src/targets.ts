/**
 * Target presets: for each backend, the form of each precision that backend actually runs fast.
 * See docs/converter.md for the reasoning per engine.
 */
import { SamClipError } from '@samclip/core';
import { DEFAULT_CHUNK_SCORE_BYTES, DEFAULT_MIN_SCORE_BYTES } from './passes/attention-chunking.js';
import type { Int4Format } from './passes/int4-block.js';

export const CONVERSION_TARGETS = ['ort-node', 'ort-wasm', 'ort-webgpu', 'tfjs'] as const;
export type ConversionTarget = (typeof CONVERSION_TARGETS)[number];

/** `fp32` keeps float32 weights and only restructures the graph (attention chunking) for the target. */
export const PRECISIONS = ['int8', 'fp16', 'int4', 'fp32'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface TargetPreset {
  /** `dynamic`: DynamicQuantizeLinear + MatMulInteger; `qdq`: int8 weights through DequantizeLinear. */
  int8: 'dynamic' | 'qdq';
  /** `compute`: float16 arithmetic; `storage`: float16 weights cast to float32 once. */
  fp16: 'compute' | 'storage';
  int4: Int4Format;
  /** MatMulNBits accuracy_level (4: int8 activations, the fast CPU path). */
  int4AccuracyLevel: number;
  int4BlockSize: number;
  /**
   * Attention score tensors of at least this many bytes are computed in query chunks of about
   * `attentionChunkBytes` each (see passes/attention-chunking.ts); `false` leaves attention whole.
   */
  chunkAttention: { minScoreBytes: number; attentionChunkBytes: number } | false;
}

/** CPU engines allocate every score matrix in host memory: chunk SAM's 805 MB global-attention scores. */
const CPU_ATTENTION_CHUNKING = { minScoreBytes: DEFAULT_MIN_SCORE_BYTES, attentionChunkBytes: DEFAULT_CHUNK_SCORE_BYTES };

export const TARGET_PRESETS: Readonly<Record<ConversionTarget, TargetPreset>> = {
  'ort-node': { int8: 'dynamic', fp16: 'storage', int4: 'matmulnbits', int4AccuracyLevel: 4, int4BlockSize: 64, chunkAttention: CPU_ATTENTION_CHUNKING },
  'ort-wasm': { int8: 'dynamic', fp16: 'storage', int4: 'matmulnbits', int4AccuracyLevel: 4, int4BlockSize: 64, chunkAttention: CPU_ATTENTION_CHUNKING },
  'ort-webgpu': { int8: 'qdq', fp16: 'compute', int4: 'matmulnbits', int4AccuracyLevel: 0, int4BlockSize: 64, chunkAttention: false },
  tfjs: { int8: 'qdq', fp16: 'storage', int4: 'unpack', int4AccuracyLevel: 0, int4BlockSize: 64, chunkAttention: false },
};

export function targetPreset(target: string): TargetPreset {
  if (!(CONVERSION_TARGETS as readonly string[]).includes(target)) {
    throw new SamClipError('INVALID_ARGUMENT', `Unknown conversion target "${target}"; use one of ${CONVERSION_TARGETS.join(', ')}.`, { target });
  }
  return TARGET_PRESETS[target as ConversionTarget];
}

export function assertPrecision(to: string): asserts to is Precision {
  if (!(PRECISIONS as readonly string[]).includes(to)) {
    throw new SamClipError('INVALID_ARGUMENT', `Unknown precision "${to}"; use one of ${PRECISIONS.join(', ')}.`, { to });
  }
}
