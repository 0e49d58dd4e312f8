/**
 * Acceptance: every .onnx model under ../shared/data/onnx-node-tests and fixtures/ survives
 * decodeModel → encodeModel, and onnxruntime-node runs the re-encoded model to exactly the outputs
 * of the original (or fails to load it exactly as it fails on the original).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, encodeModel } from './codec.js';
import { collectExternalDataLocations, runtimeInputs } from './query.js';
import { createTensor, elementCount } from './tensor.js';
import type { DType, Model, Tensor, TypeInfo } from './types.js';

const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const nodeTestsDir = path.resolve(repoRoot, '../shared/data/onnx-node-tests');
const fixturesDir = path.join(repoRoot, 'fixtures');
const haveNodeTests = fs.existsSync(nodeTestsDir);

if (!haveNodeTests && process.env.CI === 'true') {
  throw new Error(
    `ONNX node conformance cases are missing at ${nodeTestsDir}; under CI they are required. Provide ../shared/data/onnx-node-tests next to the repository.`,
  );
}

function findOnnxFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findOnnxFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.onnx')) found.push(full);
  }
  return found.sort();
}

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
  int4: 'int4',
  uint4: 'uint4',
};

function toOrt(tensor: Tensor): ort.Tensor {
  const type = ORT_TYPE[tensor.dtype];
  if (!type) throw new Error(`onnxruntime-node has no ${tensor.dtype} tensors`);
  // A fresh copy: decoded tensors may view a buffer at any 4-byte offset, and onnxruntime's SIMD
  // kernels sum in an alignment-dependent order, which would make bit-exact comparison flaky.
  return new ort.Tensor(type, tensor.data.slice() as ort.Tensor.DataType, [...tensor.dims]);
}

/** Bit-exact fingerprint of an output, so NaN outputs compare equal to themselves. */
function fingerprint(value: ort.Tensor): { type: string; dims: readonly number[]; data: string[] | number[] } {
  const data = value.data;
  if (Array.isArray(data)) return { type: value.type, dims: value.dims, data };
  const view = data as ArrayBufferView;
  return { type: value.type, dims: value.dims, data: [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)] };
}

/** Deterministic pseudo-random inputs from a declared type (symbolic or unknown dims become 1). */
function randomInput(type: TypeInfo | undefined, name: string, seed: number): Tensor {
  if (!type || type.kind !== 'tensor') throw new Error(`input "${name}" is not a tensor; cannot synthesise it`);
  const dims = (type.shape ?? []).map((dim) => (typeof dim === 'number' ? dim : 1));
  const count = elementCount(dims);
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const values = Array.from({ length: count }, next);
  switch (type.elemType) {
    case 'float32':
    case 'float64':
    case 'float16':
      return createTensor(type.elemType, dims, values);
    case 'int64':
      return createTensor('int64', dims, values.map((value) => BigInt(Math.floor(value * 4))));
    case 'bool':
      return createTensor('bool', dims, values.map((value) => value > 0.5));
    default:
      return createTensor(type.elemType, dims, values.map((value) => Math.floor(value * 4)));
  }
}

/** Inputs for a model: the case's test_data_set_0 or a bundle's references, else synthesised. */
function inputsFor(modelPath: string, model: Model): Record<string, ort.Tensor> {
  const needed = runtimeInputs(model.graph);
  let files: string[] = [];
  const dataSet = path.join(path.dirname(modelPath), 'test_data_set_0');
  if (fs.existsSync(dataSet)) {
    files = fs
      .readdirSync(dataSet)
      .filter((file) => /^input_\d+\.pb$/.test(file))
      .sort((a, b) => Number(a.match(/\d+/)?.[0]) - Number(b.match(/\d+/)?.[0]))
      .map((file) => path.join(dataSet, file));
  } else {
    const graphName = path.basename(modelPath).split('.')[0] ?? '';
    for (let dir = path.dirname(modelPath); dir.startsWith(fixturesDir); dir = path.dirname(dir)) {
      const refs = path.join(dir, 'references', graphName);
      if (fs.existsSync(refs)) {
        files = fs
          .readdirSync(refs)
          .filter((file) => /^input_\d+\.pb$/.test(file))
          .sort()
          .map((file) => path.join(refs, file));
        break;
      }
    }
  }
  const feeds: Record<string, ort.Tensor> = {};
  if (files.length > 0) {
    files.forEach((file, index) => {
      const { name, tensor } = decodeTensor(fs.readFileSync(file));
      const inputName = name || needed[index]?.name;
      if (!inputName) throw new Error(`${file} has no name and the model has no input #${index}`);
      feeds[inputName] = toOrt(tensor);
    });
  } else {
    needed.forEach((input, index) => {
      feeds[input.name] = toOrt(randomInput(input.type, input.name, index + 1));
    });
  }
  return feeds;
}

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});

// One thread: multi-threaded reductions may sum in a different order from run to run, and the
// comparison below is bit-exact.
const sessionOptions: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Opens a session; models with external data are opened from a path next to their data files. */
async function openSession(bytes: Uint8Array, modelPath: string, model: Model): Promise<ort.InferenceSession> {
  const external = collectExternalDataLocations(model);
  if (external.length === 0) return ort.InferenceSession.create(bytes, sessionOptions);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samclip-roundtrip-'));
  scratchDirs.push(dir);
  for (const location of external) {
    const target = path.join(dir, location);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(path.resolve(path.dirname(modelPath), location), target);
  }
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, bytes);
  return ort.InferenceSession.create(file, sessionOptions);
}

type Outcome = { ok: true; outputs: Record<string, ReturnType<typeof fingerprint>> } | { ok: false; stage: 'load' | 'run'; message: string };

async function runModel(bytes: Uint8Array, modelPath: string, model: Model, feeds: Record<string, ort.Tensor>): Promise<Outcome> {
  let session: ort.InferenceSession;
  try {
    session = await openSession(bytes, modelPath, model);
  } catch (error) {
    return { ok: false, stage: 'load', message: (error as Error).message };
  }
  try {
    const results = await session.run(feeds);
    const outputs: Record<string, ReturnType<typeof fingerprint>> = {};
    for (const name of Object.keys(results).sort()) {
      const value = results[name];
      if (value) outputs[name] = fingerprint(value);
    }
    return { ok: true, outputs };
  } catch (error) {
    return { ok: false, stage: 'run', message: (error as Error).message };
  } finally {
    await session.release();
  }
}

const referenceAgreement = { agree: 0, disagree: [] as string[] };

/**
 * The conformance case's expected outputs, decoded with decodeTensor, have onnxruntime's dtype and
 * shape; their values are tallied (onnxruntime itself deviates from the ONNX reference on a few ops).
 */
function checkExpectedOutputs(modelPath: string, outputs: Record<string, ReturnType<typeof fingerprint>>): void {
  const dataSet = path.join(path.dirname(modelPath), 'test_data_set_0');
  if (!fs.existsSync(dataSet)) return;
  for (const file of fs.readdirSync(dataSet).filter((name) => /^output_\d+\.pb$/.test(name))) {
    const { name, tensor } = decodeTensor(fs.readFileSync(path.join(dataSet, file)));
    const actual = outputs[name];
    expect(actual, `output "${name}" of ${file}`).toBeDefined();
    if (!actual) continue;
    expect(actual.type).toBe(ORT_TYPE[tensor.dtype]);
    expect([...actual.dims]).toEqual(tensor.dims);
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') continue;
    const ArrayType = tensor.dtype === 'float32' ? Float32Array : Float64Array;
    const got = new ArrayType(new Uint8Array(actual.data as number[]).buffer);
    const want = tensor.data as Float32Array | Float64Array;
    const close = want.every((w, i) => {
      const g = got[i] ?? NaN;
      return g === w || (Number.isNaN(w) && Number.isNaN(g)) || Math.abs(g - w) <= 1e-4 + 1e-3 * Math.abs(w);
    });
    if (close) referenceAgreement.agree += 1;
    else referenceAgreement.disagree.push(`${path.relative(repoRoot, modelPath)}:${name}`);
  }
}

const models = [...(haveNodeTests ? findOnnxFiles(nodeTestsDir) : []), ...findOnnxFiles(fixturesDir)];
const failedInOrt: string[] = [];

describe.skipIf(models.length === 0)('decodeModel/encodeModel round trip through onnxruntime-node', () => {
  if (!haveNodeTests) console.warn(`[graph] ${nodeTestsDir} is missing: checking fixtures/ only (set CI=true to make this an error).`);

  it.each(models.map((file) => [path.relative(repoRoot, file), file] as const))('%s', async (_label, file) => {
    const original = fs.readFileSync(file);
    const model = decodeModel(original);
    const reencoded = encodeModel(model);
    // Encoding is a fixed point: decoding what we wrote and writing it again changes no byte.
    expect(Buffer.from(encodeModel(decodeModel(reencoded))).equals(Buffer.from(reencoded))).toBe(true);

    const feeds = inputsFor(file, model);
    const before = await runModel(original, file, model, feeds);
    const after = await runModel(reencoded, file, decodeModel(reencoded), feeds);
    if (!before.ok) failedInOrt.push(`${path.relative(repoRoot, file)} (${before.stage}: ${before.message.split('\n')[0]})`);
    expect(after).toEqual(before);
    if (before.ok) checkExpectedOutputs(file, before.outputs);
  });

  it('decoded reference outputs agree with onnxruntime on nearly every case', () => {
    const compared = referenceAgreement.agree + referenceAgreement.disagree.length;
    if (compared === 0) return;
    console.info(`[graph] reference outputs: ${referenceAgreement.agree}/${compared} agree; differ: ${referenceAgreement.disagree.join(', ') || 'none'}`);
    expect(referenceAgreement.disagree.length).toBeLessThanOrEqual(Math.ceil(compared * 0.02));
  });

  afterAll(() => {
    console.info(
      `[graph] ${models.length} models round-tripped; ${failedInOrt.length} fail identically in onnxruntime-node before and after:\n  ${failedInOrt.join('\n  ')}`,
    );
  });
});
