/**
 * What the task commands (segment, classify, embed, segment-semantic, segment-everything, demo,
 * bench) share: the model options and their default bundle, strict parsing of coordinates and
 * label lists (so a bad flag fails before any model loads), and writing outputs only after every
 * computation succeeded, each file atomically.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DEFAULT_MAX_PIXELS, SamClipError, decodeTensor } from '@samclip/core';
import type { RgbImage, SamClip } from '@samclip/core';
import { loadSamClip, readImageFile, writeFileAtomic } from '@samclip/core/node';
import type { CliContext } from '../context.js';

/** fixtures/ of the repository the CLI lives in (src/commands and dist/commands sit at the same depth). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../../fixtures/', import.meta.url));

/** Bundles tried, in order, when no --model is given: the trained toy model, else the random tiny one. */
export const DEFAULT_MODEL_NAMES: readonly string[] = ['toy', 'tiny-random'];

/** The embedded default bundle's directory. */
export function defaultModelLocation(): string {
  for (const name of DEFAULT_MODEL_NAMES) {
    const dir = path.join(FIXTURES_DIR, name);
    if (existsSync(path.join(dir, 'samclip.json'))) return dir;
  }
  throw new SamClipError(
    'NOT_FOUND',
    `No default model found: looked for ${DEFAULT_MODEL_NAMES.map((n) => path.join(FIXTURES_DIR, n, 'samclip.json')).join(' and ')}; pass --model BUNDLE.`,
    { fixtures: FIXTURES_DIR },
  );
}

export interface ModelOptions {
  model?: string;
  backend: string;
  variant?: string;
  maxPixels?: string;
}

/** Adds --model (repeatable with `repeatableModel`, collecting a list), --backend, --variant and --max-pixels. */
export function addModelOptions(command: Command, repeatableModel = false): Command {
  const defaultModel = `the embedded fixtures/${DEFAULT_MODEL_NAMES.join(' or fixtures/')}`;
  if (repeatableModel) command.option('--model <bundle>', `bundle to measure; repeat for a side-by-side comparison (default: ${defaultModel})`, collect);
  else command.option('--model <bundle>', `bundle directory, samclip.json or URL (default: ${defaultModel})`);
  return command
    .option('--backend <name>', 'backend name, a comma-separated preference list, or auto', 'auto')
    .option('--variant <name>', 'variant for every graph (fp32, int8, …) or GRAPH=VARIANT pairs separated by commas')
    .option('--max-pixels <n>', `largest image accepted, in pixels (default ${DEFAULT_MAX_PIXELS})`);
}

function imageLimits(options: Pick<ModelOptions, 'maxPixels'>): { maxPixels?: number } {
  return options.maxPixels === undefined ? {} : { maxPixels: parseWholeNumber(options.maxPixels, '--max-pixels') };
}

/** Decodes an image file within the --max-pixels limit (errors name the file and the problem). */
export function readInputImage(file: string, options: Pick<ModelOptions, 'maxPixels'>): Promise<RgbImage> {
  return readImageFile(file, imageLimits(options));
}

function parseVariant(text: string): string | Record<string, string> {
  if (!text.includes('=')) return text;
  const choices: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [graph, variant, ...rest] = pair.split('=').map((s) => s.trim());
    if (!graph || !variant || rest.length > 0) {
      throw new SamClipError('INVALID_ARGUMENT', `--variant "${text}": "${pair}" is not GRAPH=VARIANT; give one variant name or pairs such as backbone=int8,prompt_decoder=fp32.`);
    }
    choices[graph] = variant;
  }
  return choices;
}

/** Registers the installed backends, then opens the bundle on the chosen backend and variant. */
export async function openModel(context: CliContext, options: ModelOptions): Promise<SamClip> {
  const variant = options.variant === undefined ? undefined : parseVariant(options.variant);
  await context.loadBackends();
  const backend = options.backend.includes(',') ? options.backend.split(',').map((s) => s.trim()).filter((s) => s !== '') : options.backend;
  return loadSamClip(options.model ?? defaultModelLocation(), {
    backend,
    registry: context.registry,
    ...imageLimits(options),
    ...(variant !== undefined ? { variant } : {}),
  });
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses "a,b,c" into numbers, naming the flag and the bad part on failure. */
export function parseNumbers(text: string, flag: string, names: readonly string[]): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== names.length) {
    throw new SamClipError('INVALID_ARGUMENT', `${flag} "${text}" has ${parts.length} values; expected ${names.join(',')}.`, { flag, value: text });
  }
  return parts.map((part, i) => finitePart(part, text, flag, names[i]!));
}

function finitePart(part: string, text: string, flag: string, name: string): number {
  const value = part === '' ? NaN : Number(part);
  if (!Number.isFinite(value)) throw new SamClipError('INVALID_ARGUMENT', `${flag} "${text}": ${name} is "${part}", not a finite number.`, { flag, value: text });
  return value;
}

export interface CliPoint {
  x: number;
  y: number;
  label: 'foreground' | 'background';
}

/** "x,y[,label]" with label 1/fg/foreground (default) or 0/bg/background. */
export function parsePoint(text: string): CliPoint {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.length > 3) throw new SamClipError('INVALID_ARGUMENT', `--point "${text}" has ${parts.length} values; expected x,y[,label].`, { value: text });
  const x = finitePart(parts[0]!, text, '--point', 'x');
  const y = finitePart(parts[1]!, text, '--point', 'y');
  const labelText = parts[2]?.toLowerCase();
  if (labelText === undefined || ['1', 'fg', 'foreground'].includes(labelText)) return { x, y, label: 'foreground' };
  if (['0', 'bg', 'background'].includes(labelText)) return { x, y, label: 'background' };
  throw new SamClipError('INVALID_ARGUMENT', `--point "${text}": label "${parts[2]}" is not 1/fg/foreground or 0/bg/background.`, { value: text });
}

export interface CliBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** "x0,y0,x1,y1", top-left corner first. */
export function parseBox(text: string): CliBox {
  const [x0, y0, x1, y1] = parseNumbers(text, '--box', ['x0', 'y0', 'x1', 'y1']) as [number, number, number, number];
  if (x1 < x0) throw new SamClipError('INVALID_ARGUMENT', `--box "${text}": x1 (${x1}) is left of x0 (${x0}); give the top-left corner first, then the bottom-right.`, { value: text });
  if (y1 < y0) throw new SamClipError('INVALID_ARGUMENT', `--box "${text}": y1 (${y1}) is above y0 (${y0}); give the top-left corner first, then the bottom-right.`, { value: text });
  return { x0, y0, x1, y1 };
}

/** "a,b,c" into non-empty, trimmed labels. */
export function parseLabels(text: string | undefined, flag = '--labels'): string[] {
  if (text === undefined) throw new SamClipError('INVALID_ARGUMENT', `${flag} is required: give comma-separated class names such as ${flag} "cat,dog".`);
  const labels = text.split(',').map((s) => s.trim());
  if (labels.every((l) => l === '')) {
    throw new SamClipError('INVALID_ARGUMENT', `${flag} is empty; give comma-separated class names such as ${flag} "cat,dog".`, { flag });
  }
  const blank = labels.findIndex((l) => l === '');
  if (blank >= 0) throw new SamClipError('INVALID_ARGUMENT', `${flag} "${text}": label ${blank + 1} is empty; remove the extra comma.`, { flag, value: text });
  return labels;
}

/** A whole number ≥ min from an option value. */
export function parseWholeNumber(text: string, flag: string, min = 1): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new SamClipError('INVALID_ARGUMENT', `${flag} must be a whole number ≥ ${min}, got "${text}".`, { flag, value: text });
  return value;
}

/** A finite number from an option value. */
export function parseFiniteNumber(text: string, flag: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new SamClipError('INVALID_ARGUMENT', `${flag} must be a number, got "${text}".`, { flag, value: text });
  return value;
}

/**
 * Writes every file only once all of them are computed, each through a temp file and a rename,
 * so a failure leaves no partial output (a failed write removes what this call already wrote).
 */
export async function writeOutputs(files: ReadonlyArray<readonly [string, Uint8Array | string]>): Promise<void> {
  const written: string[] = [];
  try {
    for (const [file, bytes] of files) {
      await writeFileAtomic(file, bytes);
      written.push(file);
    }
  } catch (error) {
    await Promise.all(written.map((file) => rm(file, { force: true })));
    throw error;
  }
}

/** `mask.png` → `mask-2.png`: numbered siblings of an output path. */
export function numberedPath(file: string, index: number): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${index}${ext}`;
}

/** The test image a bundle ships in references/tasks.json (an H×W×3 uint8 TensorProto), if any. */
export async function readBundleTestImage(bundleDir: string): Promise<RgbImage | undefined> {
  const tasksFile = path.join(bundleDir, 'references', 'tasks.json');
  if (!existsSync(tasksFile)) return undefined;
  const tasks = JSON.parse(await readFile(tasksFile, 'utf8')) as { image?: { file?: string } };
  if (!tasks.image?.file) return undefined;
  const { tensor } = decodeTensor(new Uint8Array(await readFile(path.join(bundleDir, tasks.image.file))));
  const [height, width, channels] = tensor.dims as [number, number, number];
  if (tensor.dims.length !== 3 || channels !== 3 || tensor.dtype !== 'uint8') {
    throw new SamClipError('MANIFEST_INVALID', `${tasks.image.file} in ${bundleDir} is ${tensor.dtype} ${JSON.stringify(tensor.dims)}, expected a uint8 H×W×3 image.`);
  }
  return { width, height, data: tensor.data as Uint8Array };
}

/** Rounds for display and JSON without float noise. */
export function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
