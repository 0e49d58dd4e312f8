/**
 * Runs ONNX backend node-test folders (model.onnx + test_data_set_N/{input,output}_K.pb) on a
 * samclip Backend and reports one result per case. Node-only (reads the file system).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeModel, decodeTensor, isSamClipError } from '@samclip/core';
import type { Backend, Tensor } from '@samclip/core';
import { ONNX_TOLERANCE, compareTensors } from './compare.js';

export interface CaseResult {
  name: string;
  status: 'pass' | 'fail';
  /** Op types of the case's model (domain-qualified outside ai.onnx). */
  ops: string[];
  reason?: string;
}

export interface ConformanceOptions {
  /** Only cases whose name contains one of these substrings. */
  filter?: readonly string[];
  onResult?: (result: CaseResult) => void;
}

async function readTensor(file: string): Promise<Tensor> {
  return decodeTensor(new Uint8Array(await readFile(file))).tensor;
}

export async function runCase(dir: string, backend: Backend): Promise<CaseResult> {
  const name = path.basename(dir);
  const bytes = new Uint8Array(await readFile(path.join(dir, 'model.onnx')));
  const model = decodeModel(bytes);
  const ops = [...new Set(model.graph.nodes.map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType)))].sort();
  const result = (status: CaseResult['status'], reason?: string): CaseResult => ({ name, status, ops, ...(reason ? { reason } : {}) });
  const initializers = new Set(model.graph.initializers.map((i) => i.name));
  const inputNames = model.graph.inputs.filter((i) => !initializers.has(i.name)).map((i) => i.name);
  const outputNames = model.graph.outputs.map((o) => o.name);
  let session;
  try {
    session = await backend.createSession(bytes);
  } catch (error) {
    return result('fail', `load: ${isSamClipError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const sets = (await readdir(dir)).filter((d) => d.startsWith('test_data_set_')).sort();
    for (const set of sets) {
      const files = await readdir(path.join(dir, set));
      const feeds: Record<string, Tensor> = {};
      for (let i = 0; i < inputNames.length; i++) {
        if (files.includes(`input_${i}.pb`)) feeds[inputNames[i]!] = await readTensor(path.join(dir, set, `input_${i}.pb`));
      }
      let fetched;
      try {
        fetched = await session.run(feeds);
      } catch (error) {
        return result('fail', `run: ${isSamClipError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}`);
      }
      for (let i = 0; i < outputNames.length; i++) {
        const file = path.join(dir, set, `output_${i}.pb`);
        if (!files.includes(`output_${i}.pb`)) continue;
        const expected = await readTensor(file);
        const actual = fetched[outputNames[i]!] as Tensor | undefined;
        if (!actual) return result('fail', `output ${outputNames[i]} missing`);
        const mismatch = compareTensors(actual, expected, ONNX_TOLERANCE);
        if (mismatch) return result('fail', `${set} output "${outputNames[i]}": ${mismatch.reason}`);
      }
    }
    return result('pass');
  } finally {
    await session.dispose();
  }
}

export async function runConformance(casesDir: string, backend: Backend, options: ConformanceOptions = {}): Promise<CaseResult[]> {
  const entries = (await readdir(casesDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const selected = options.filter?.length ? entries.filter((n) => options.filter!.some((f) => n.includes(f))) : entries;
  const results: CaseResult[] = [];
  for (const name of selected) {
    const r = await runCase(path.join(casesDir, name), backend);
    options.onResult?.(r);
    results.push(r);
  }
  return results;
}
