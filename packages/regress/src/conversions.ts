/**
 * Quantized variants for the matrix. The fixtures carry only the exporter's fp32 graphs; before the
 * columns run, the chosen bundles are converted with @samclip/converter (as `samclip convert` would)
 * into a temporary copy, so every run checks what the current converter writes for each target on
 * the columns that target is meant for (targets.ts), against the same PyTorch references.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SamClipError } from '@samclip/core';
import { CONVERSION_TARGETS, PRECISIONS, convertBundle } from '@samclip/converter';
import type { ConversionTarget, Precision } from '@samclip/converter';

export interface Conversion {
  to: Precision;
  target: ConversionTarget;
}

/**
 * Every quantized form each target runs: int8 as DynamicQuantizeLinear + MatMulInteger for the
 * onnxruntime CPU engines and as QDQ for tfjs; fp16 arithmetic for WebGPU and fp16 storage for
 * tfjs; int4 as MatMulNBits for onnxruntime and unpacked nibbles for tfjs.
 */
export const DEFAULT_CONVERSIONS: readonly Conversion[] = [
  { to: 'int8', target: 'ort-node' },
  { to: 'int8', target: 'ort-wasm' },
  { to: 'int4', target: 'ort-node' },
  { to: 'fp16', target: 'ort-webgpu' },
  { to: 'int8', target: 'tfjs' },
  { to: 'fp16', target: 'tfjs' },
  { to: 'int4', target: 'tfjs' },
];

/** Fixture directories converted by default: the full SAM-CLIP bundle, every graph role. */
export const DEFAULT_CONVERTED_BUNDLES: readonly string[] = ['tiny-random'];

/** Parses `int8:ort-node`. */
export function parseConversion(spec: string): Conversion {
  const [to = '', target = '', ...rest] = spec.split(':');
  if (rest.length === 0 && (PRECISIONS as readonly string[]).includes(to) && to !== 'fp32' && (CONVERSION_TARGETS as readonly string[]).includes(target)) {
    return { to: to as Precision, target: target as ConversionTarget };
  }
  throw new SamClipError(
    'INVALID_ARGUMENT',
    `"${spec}" is not a conversion; write precision:target with precision one of ${PRECISIONS.filter((p) => p !== 'fp32').join(', ')} and target one of ${CONVERSION_TARGETS.join(', ')} (e.g. int8:ort-node)`,
    { conversion: spec },
  );
}

export function conversionLabel({ to, target }: Conversion): string {
  return `${to}:${target}`;
}

/** Converted copies of bundles in one temporary directory, removed by `dispose`. */
export interface ConvertedBundles {
  /** Bundle directory → its converted copy. */
  copies: Map<string, string>;
  dispose(): Promise<void>;
}

/**
 * Converts each bundle with every conversion into a copy under a fresh temporary directory. The
 * matrix validates the variants itself, so the converter's own validation is skipped.
 */
export async function convertBundles(
  dirs: readonly string[],
  conversions: readonly Conversion[],
  onProgress?: (message: string) => void,
): Promise<ConvertedBundles> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'samclip-regress-'));
  const dispose = () => rm(work, { recursive: true, force: true });
  const copies = new Map<string, string>();
  try {
    for (const [i, dir] of dirs.entries()) {
      const copy = path.join(work, `${i}-${path.basename(dir)}`);
      for (const [j, conversion] of conversions.entries()) {
        const started = performance.now();
        await convertBundle(j === 0 ? dir : copy, { to: conversion.to, target: conversion.target, out: copy, validate: false });
        onProgress?.(`converted ${path.basename(dir)} to ${conversionLabel(conversion)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
      copies.set(dir, copy);
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return { copies, dispose };
}
