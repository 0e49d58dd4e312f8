/**
 * The matrix columns: each backend where it runs (Node or headless Chromium), and which columns a
 * bundle variant is meant for (the converter's `target`, written into samclip.json).
 */
import { SamClipError } from '@samclip/core';
import type { GraphVariant } from '@samclip/core';

export type Platform = 'node' | 'browser';

export interface MatrixTarget {
  /** Column name: the backend name, with `@browser` for ort-wasm run in Chromium. */
  id: string;
  backend: string;
  platform: Platform;
  /** Runs on a GPU (or its software stand-in), so GPU tolerances apply. */
  gpu: boolean;
}

export const MATRIX_TARGETS: readonly MatrixTarget[] = [
  { id: 'ort-node', backend: 'ort-node', platform: 'node', gpu: false },
  { id: 'ort-node-webgpu', backend: 'ort-node-webgpu', platform: 'node', gpu: true },
  { id: 'ort-wasm', backend: 'ort-wasm', platform: 'node', gpu: false },
  { id: 'ort-wasm@browser', backend: 'ort-wasm', platform: 'browser', gpu: false },
  { id: 'ort-webgpu', backend: 'ort-webgpu', platform: 'browser', gpu: true },
  { id: 'tfjs-cpu', backend: 'tfjs-cpu', platform: 'node', gpu: false },
  { id: 'tfjs-wasm', backend: 'tfjs-wasm', platform: 'node', gpu: false },
  { id: 'tfjs-webgl', backend: 'tfjs-webgl', platform: 'browser', gpu: true },
  { id: 'tfjs-webgpu', backend: 'tfjs-webgpu', platform: 'browser', gpu: true },
];

const GPU_BACKENDS = new Set(['ort-node-webgpu', 'ort-webgpu', 'tfjs-webgl', 'tfjs-webgpu']);
const NODE_BACKENDS = new Set(['ort-node', 'ort-node-webgpu', 'ort-wasm', 'tfjs-cpu', 'tfjs-wasm']);
const BROWSER_BACKENDS = new Set(['ort-wasm', 'ort-webgpu', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-webgl', 'tfjs-webgpu']);

/**
 * Parses a `--backends` entry: a column id from MATRIX_TARGETS, or `backend@node` /
 * `backend@browser` for a backend where the default matrix does not run it (tfjs-wasm@browser).
 */
export function parseTarget(id: string): MatrixTarget {
  const known = MATRIX_TARGETS.find((target) => target.id === id);
  if (known) return known;
  const [backend = '', platform = ''] = id.split('@');
  const runs = platform === 'node' ? NODE_BACKENDS : platform === 'browser' ? BROWSER_BACKENDS : undefined;
  if (runs?.has(backend)) {
    // `ort-node@node` names the default column; keep one id per column.
    const canonical = MATRIX_TARGETS.find((target) => target.backend === backend && target.platform === platform);
    return canonical ?? { id, backend, platform: platform as Platform, gpu: GPU_BACKENDS.has(backend) };
  }
  throw new SamClipError(
    'INVALID_ARGUMENT',
    `unknown matrix backend "${id}"; use one of ${MATRIX_TARGETS.map((target) => target.id).join(', ')} (or backend@node / backend@browser)`,
    { backend: id },
  );
}

/** Columns each converter target is meant to run on. */
const TARGET_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  'ort-node': ['ort-node'],
  'ort-wasm': ['ort-wasm', 'ort-wasm@browser'],
  'ort-webgpu': ['ort-webgpu', 'ort-node-webgpu'],
  tfjs: ['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgl', 'tfjs-webgpu'],
};

/**
 * Whether a variant is meant to run on a column: variants without a `target` (fp32, exporter
 * variants) run everywhere; a converter variant runs on the columns of its target, or on the
 * backend the target names.
 */
export function variantRunsOn(variant: Pick<GraphVariant, 'target'>, target: MatrixTarget): boolean {
  if (variant.target === undefined) return true;
  const columns = TARGET_COLUMNS[variant.target];
  if (columns) return columns.includes(target.id) || columns.includes(target.backend);
  return variant.target === target.backend || variant.target === target.id;
}
