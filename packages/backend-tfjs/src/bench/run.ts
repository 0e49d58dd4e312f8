/**
 * npm run bench -w @samclip/backend-tfjs -- [--bundle DIR [--graph backbone] [--variant fp32] | --model FILE.onnx]
 *   [--image-size 224] [--depth 12] [--runs 5] [--threads 1]
 * Times tfjs-wasm against onnxruntime-web's wasm backend on the same graph: a bundle's graph on its
 * reference inputs (the image encoder by default), the given model, or a seeded random ViT-B/16
 * image encoder. Prints the median of `runs` timed runs after one warm-up, and the ratio. Node only.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeModel } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import * as ort from 'onnxruntime-web';
import { TfjsBackend } from '../backend.js';
import { nodeWasmPaths } from '../node.js';
import { buildVitEncoder, VIT_B_16 } from './vit.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function time(runs: number, once: () => Promise<void>): Promise<number> {
  await once();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

function randomInput(dims: number[]): Float32Array {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  return data;
}

interface Workload {
  label: string;
  bytes: Uint8Array;
  externalData: Map<string, Uint8Array>;
  /** Feeds from the bundle's reference inputs; random float inputs when undefined. */
  feeds?: Record<string, Tensor>;
}

const IMAGE_ENCODER_ROLES = ['backbone', 'sam_encoder', 'clip_image_encoder'];

async function bundleWorkload(dir: string, graphName: string | undefined, variant: string): Promise<Workload> {
  const bundle = await openBundle(dir);
  const graphs = Object.entries(bundle.manifest.graphs);
  const graph = graphName ?? graphs.find(([, entry]) => IMAGE_ENCODER_ROLES.includes(entry.role))?.[0];
  if (!graph) throw new Error(`bundle ${dir} has no image encoder graph (roles ${IMAGE_ENCODER_ROLES.join(', ')}); pass --graph`);
  const bytes = await bundle.readGraph(graph, variant);
  const externalData = await bundle.readExternalData(graph, variant);
  const inputs = await bundle.references().inputs(graph);
  const feeds = Object.fromEntries(inputs.map((input) => [input.name, input.tensor]));
  return { label: `${path.basename(path.resolve(dir))}: ${graph}.${variant} on its reference input`, bytes, externalData, feeds };
}

function randomFeeds(bytes: Uint8Array): Record<string, Tensor> {
  const graph = decodeModel(bytes).graph;
  const initializerNames = new Set(graph.initializers.map((i) => i.name));
  const feeds: Record<string, Tensor> = {};
  for (const input of graph.inputs.filter((i) => !initializerNames.has(i.name))) {
    const type = input.type?.kind === 'tensor' ? input.type : undefined;
    const dims = (type?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
    if (type?.elemType !== 'float32') throw new Error(`input "${input.name}" is not float32; pass a model with float inputs`);
    feeds[input.name] = { dtype: 'float32', dims, data: randomInput(dims) };
  }
  return feeds;
}

function toOrtTensor(tensor: Tensor): ort.Tensor {
  return new ort.Tensor(tensor.dtype as ort.Tensor.Type, tensor.data as ort.Tensor.DataType, [...tensor.dims]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bundle: { type: 'string' },
      graph: { type: 'string' },
      variant: { type: 'string', default: 'fp32' },
      model: { type: 'string' },
      'image-size': { type: 'string', default: '224' },
      depth: { type: 'string', default: String(VIT_B_16.depth) },
      runs: { type: 'string', default: '5' },
      threads: { type: 'string', default: '1' },
    },
  });
  const runs = Number(values.runs);
  const workload: Workload = values.bundle
    ? await bundleWorkload(values.bundle, values.graph, values.variant)
    : values.model
      ? { label: path.basename(values.model), bytes: new Uint8Array(await readFile(values.model)), externalData: new Map() }
      : {
          label: `random ViT-B/16 (${values['image-size']}², depth ${values.depth})`,
          bytes: buildVitEncoder({ ...VIT_B_16, imageSize: Number(values['image-size']), depth: Number(values.depth) }),
          externalData: new Map(),
        };
  const { label, bytes, externalData } = workload;
  const feeds = workload.feeds ?? randomFeeds(bytes);

  const tfjs = new TfjsBackend('wasm', { wasmPaths: nodeWasmPaths() });
  const tfjsSession = await tfjs.createSession(bytes, externalData.size > 0 ? { externalData } : {});
  const tfjsMs = await time(runs, async () => void (await tfjsSession.run(feeds)));
  await tfjsSession.dispose();

  const require = createRequire(import.meta.url);
  ort.env.wasm.wasmPaths = `${path.dirname(require.resolve('onnxruntime-web'))}${path.sep}`;
  ort.env.wasm.numThreads = Number(values.threads);
  const ortSession = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    ...(externalData.size > 0 ? { externalData: [...externalData].map(([location, data]) => ({ path: location, data })) } : {}),
  });
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toOrtTensor(t)]));
  const ortMs = await time(runs, async () => {
    const out = await ortSession.run(ortFeeds);
    for (const t of Object.values(out)) t.dispose();
  });
  await ortSession.release();

  process.stdout.write(`${label}, median of ${runs} runs after a warm-up (ort-wasm threads: ${values.threads})\n`);
  process.stdout.write(`  tfjs-wasm  ${tfjsMs.toFixed(1)} ms\n  ort-wasm   ${ortMs.toFixed(1)} ms\n  ratio      ${(tfjsMs / ortMs).toFixed(2)}× (target ≤ 3×, goal ≤ 1.5×)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
