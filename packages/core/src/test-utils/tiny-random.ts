/**
 * The tiny-random fixture bundle (fixtures/tiny-random, written by the exporter in tools/) for tests
 * that run its graphs on onnxruntime-node. Core depends on no engine, so the ort-node backend is
 * imported from its sources at run time.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendRegistry } from '../backend/registry.js';
import type { Backend } from '../backend/types.js';
import { openBundle } from '../bundle/node.js';
import { expect } from 'vitest';
import { decodeModel, encodeModel } from '../graph/codec.js';
import { UPSCALING_SCOPE } from '../graph/token-upscaling.js';
import type { Model, Tensor } from '../graph/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const TINY_RANDOM = path.join(repoRoot, 'fixtures/tiny-random');
/** Whether the fixture is there; under CI a missing fixture is an error, not a skip. */
export const tinyRandomPresent = existsSync(path.join(TINY_RANDOM, 'references/prompt_decoder/input_0.pb'));
if (!tinyRandomPresent && process.env.CI) throw new Error(`fixture missing: ${TINY_RANDOM}; generate it with the exporter in tools/ before running CI.`);

const ORT_NODE_ENTRY = '../../../backend-ort/src/node.js';

/** Registers the ort-node backend (without its WebGPU and wasm siblings) and returns it. */
export async function ortNodeBackend(): Promise<Backend> {
  const { registerOrtNodeBackends } = (await import(/* @vite-ignore */ ORT_NODE_ENTRY)) as { registerOrtNodeBackends(options: Record<string, false>): string[] };
  registerOrtNodeBackends({ 'ort-node-webgpu': false, 'ort-wasm': false });
  return (await backendRegistry.resolve('ort-node')).backend;
}

/** The fixture's prompt_decoder: its bytes, the stored reference inputs, and what ort-node outputs for them. */
export interface TinyRandomDecoder {
  backend: Backend;
  bytes: Uint8Array;
  feeds: Record<string, Tensor>;
  reference: Record<string, Tensor<'float32'>>;
}

export async function tinyRandomDecoder(): Promise<TinyRandomDecoder> {
  const backend = await ortNodeBackend();
  const bundle = await openBundle(TINY_RANDOM);
  const bytes = await bundle.readGraph('prompt_decoder');
  const feeds: Record<string, Tensor> = {};
  for (const { name, tensor } of await bundle.references().inputs('prompt_decoder')) feeds[name] = tensor;
  const session = await backend.createSession(bytes);
  try {
    return { backend, bytes, feeds, reference: (await session.run(feeds)) as Record<string, Tensor<'float32'>> };
  } finally {
    await session.dispose();
  }
}

/** The decoder graph `bytes` with its token-layout upscaling moved out of the exporter's scope, so no rewrite recognises it. */
export function withoutUpscalingScope(bytes: Uint8Array): Model {
  const model = decodeModel(bytes);
  for (const node of model.graph.nodes) node.name = node.name.replace(UPSCALING_SCOPE, '/elsewhere/');
  return model;
}

/** Asserts that `rewrite` declines `model` (returns undefined) and leaves it byte for byte as it was. */
export function expectDeclined(model: Model, rewrite: (model: Model) => string | undefined): void {
  const before = encodeModel(model);
  expect(rewrite(model)).toBeUndefined();
  expect(encodeModel(model)).toEqual(before);
}
