/** Builds small, valid bundles in memory for tests (the graphs follow their contracts but are not runnable). */
import { encodeModel, encodeTensor } from '../../graph/index.js';
import type { Model } from '../../graph/types.js';
import { KIND_ROLES } from '../../schema/roles.js';
import type { BundleKind, Role } from '../../schema/roles.js';
import { TINY_CONFIG, roleModel } from '../../schema/test-utils/role-models.js';
import { sha256Hex } from '../integrity.js';
import type { BundleManifest, FileEntry } from '../manifest.js';

export interface TestBundle {
  manifest: BundleManifest;
  files: Map<string, Uint8Array>;
}

async function entry(files: Map<string, Uint8Array>, file: string, bytes: Uint8Array): Promise<FileEntry> {
  files.set(file, bytes);
  return { file, sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
}

export interface BuildOptions {
  /** Replace the model of a role (for contract-breaking bundles). */
  models?: Partial<Record<Role, Model>>;
}

export async function buildTestBundle(kind: BundleKind = 'sam-clip', options: BuildOptions = {}): Promise<TestBundle> {
  const files = new Map<string, Uint8Array>();
  const manifest: BundleManifest = {
    schemaVersion: 1,
    name: `test-${kind}`,
    kind,
    config: { ...TINY_CONFIG },
    graphs: {},
    preprocess: {
      sam: { longestSide: 64, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], resize: 'bilinear-antialias', pad: 'bottom-right' },
      clip: { size: 32, mean: [122.77, 116.75, 104.09], std: [68.5, 66.63, 70.32], resize: 'bilinear-antialias', crop: 'center' },
    },
  };
  for (const role of KIND_ROLES[kind]) {
    const bytes = encodeModel(options.models?.[role] ?? roleModel(role));
    manifest.graphs[role] = { role, variants: { fp32: { ...(await entry(files, `graphs/${role}.fp32.onnx`, bytes)), dtype: 'fp32' } } };
  }
  if (KIND_ROLES[kind].includes('text_encoder')) {
    manifest.tokenizer = {
      type: 'clip-bpe',
      vocab: await entry(files, 'tokenizer/bpe_vocab.txt', new TextEncoder().encode('#version: 0.2\na b\n')),
      contextLength: 77,
      startToken: 49406,
      endToken: 49407,
      padToken: 0,
    };
  }
  const first = KIND_ROLES[kind][0]!;
  const input = encodeTensor('pixel_values', { dtype: 'float32', dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
  const output = encodeTensor('out', { dtype: 'int64', dims: [1], data: new BigInt64Array([7n]) });
  manifest.references = {
    graphs: { [first]: { inputs: [await entry(files, `references/${first}/input_0.pb`, input)], outputs: [await entry(files, `references/${first}/output_0.pb`, output)] } },
    tasks: await entry(files, 'references/tasks.json', new TextEncoder().encode('{"image":{"file":"references/tasks/image.pb"}}')),
    files: [await entry(files, 'references/tasks/image.pb', encodeTensor('image', { dtype: 'uint8', dims: [1, 1, 3], data: new Uint8Array([1, 2, 3]) }))],
  };
  manifest.provenance = { source: { checkpoint: 'random', seed: 0 } };
  return { manifest, files };
}

/** The files of a test bundle with samclip.json serialised in. */
export function bundleFiles(bundle: TestBundle): Map<string, Uint8Array> {
  const files = new Map(bundle.files);
  files.set('samclip.json', new TextEncoder().encode(JSON.stringify(bundle.manifest)));
  return files;
}
