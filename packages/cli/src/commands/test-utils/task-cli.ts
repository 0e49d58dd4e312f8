/**
 * Helpers for the task command tests: run the CLI in-process on ort-node only, the tiny-random
 * fixture's stored test image as a PNG, reading masks back, and bad image files built byte by byte.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import { decodeTensor } from '@samclip/core';
import type { BinaryMask, RgbImage, SamClip } from '@samclip/core';
import { encodePng, loadSamClip } from '@samclip/core/node';
import { registerOrtNodeBackends } from '@samclip/backend-ort/node';
import { runCli } from '../../cli.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../../..');
export const TINY_RANDOM = path.join(REPO_ROOT, 'fixtures/tiny-random');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(isTTY = false) {
  return {
    text: '',
    isTTY,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

export function registerOrtNodeOnly(): string[] {
  registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
  return [];
}

/** Runs `samclip argv` with only ort-node registered (the process-wide registry). */
export async function cli(argv: readonly string[]): Promise<CliResult> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(argv, { stdout, stderr }, { loadBackends: async () => registerOrtNodeOnly() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface StoredTasks {
  image: { file: string };
  segment: Array<{ name: string; points: Array<[number, number]> | null; labels: number[] | null; box: [number, number, number, number] | null; maskInput: string | null; multimask: boolean; masks: string; best: number }>;
  classify: { labels: string[]; template: string; probs: number[] };
}

export function storedTasks(fixture = TINY_RANDOM): StoredTasks {
  return JSON.parse(readFileSync(path.join(fixture, 'references/tasks.json'), 'utf8')) as StoredTasks;
}

export function fixtureTensor(file: string, fixture = TINY_RANDOM) {
  return decodeTensor(new Uint8Array(readFileSync(path.join(fixture, file)))).tensor;
}

export function fixtureImage(fixture = TINY_RANDOM): RgbImage {
  const tensor = fixtureTensor(storedTasks(fixture).image.file, fixture);
  return { width: tensor.dims[1]!, height: tensor.dims[0]!, data: tensor.data as Uint8Array };
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes the fixture's test image as a PNG (lossless, so the pixels are the stored ones). */
export async function writeFixturePng(dir: string, name = 'image.png'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, encodePng(fixtureImage()));
  return file;
}

export interface TaskFixture {
  /** A temporary directory, removed after the suite. */
  readonly dir: string;
  /** The fixture's test image written into `dir` as a PNG. */
  readonly imagePath: string;
  /** tiny-random loaded through the API on ort-node, to compare the CLI's output with. */
  readonly model: SamClip;
}

/** The shared set-up of a task command suite, registered as beforeAll/afterAll hooks of the caller's describe. */
export function useTaskFixture(prefix: string): TaskFixture {
  let state: { dir: string; imagePath: string; model: SamClip; remove(): Promise<void> } | undefined;
  const ready = () => {
    if (!state) throw new Error('useTaskFixture values are only available inside tests (after beforeAll)');
    return state;
  };
  beforeAll(async () => {
    const { dir, remove } = await tempDir(prefix);
    const imagePath = await writeFixturePng(dir);
    registerOrtNodeOnly();
    state = { dir, remove, imagePath, model: await loadSamClip(TINY_RANDOM, { backend: 'ort-node' }) };
  });
  afterAll(async () => {
    await state?.model.dispose();
    await state?.remove();
  });
  return {
    get dir() { return ready().dir; },
    get imagePath() { return ready().imagePath; },
    get model() { return ready().model; },
  };
}

export function readPng(file: string): { width: number; height: number; data: Uint8Array } {
  const png = pngjs.PNG.sync.read(readFileSync(file));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** A mask PNG written by the CLI back to a 0/1 mask (pngjs expands gray to RGBA). */
export function readMaskPng(file: string): BinaryMask {
  const png = readPng(file);
  const data = new Uint8Array(png.width * png.height);
  for (let i = 0; i < data.length; i++) data[i] = png.data[i * 4]! > 127 ? 1 : 0;
  return { width: png.width, height: png.height, data };
}

/** Names in a directory, so a test can show nothing (not even a temp file) was left behind. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(Buffer.from(type, 'ascii'), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** A well-formed PNG header declaring 0×0 pixels. */
export function zeroSizePng(): Uint8Array {
  const ihdr = new Uint8Array(13);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB; width and height stay 0
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IEND', new Uint8Array(0))]);
}

/** A JPEG whose frame header (SOF0) claims width × height; no pixel data follows. */
export function jpegClaiming(width: number, height: number): Uint8Array {
  const sof = [0xff, 0xc0, 0x00, 0x11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1];
  return Uint8Array.from([0xff, 0xd8, ...sof, 0xff, 0xd9]);
}

/** JPEG signature and a JFIF segment, then bytes that are not a marker. */
export function corruptJpeg(): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
  return Uint8Array.from([0xff, 0xd8, ...app0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]);
}
