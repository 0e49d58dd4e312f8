/** What the benchmark and the profiler run: a graph's bytes and external data, and its feeds. Node only. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeModel } from '@samclip/core';
import type { Tensor } from '@samclip/core';
import { openBundle } from '@samclip/core/node';

/** Deterministic values in [-0.5, 0.5]: repeatable runs without a seeded generator. */
export function randomInput(dims: readonly number[]): Float32Array {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  return data;
}

export interface Workload {
  label: string;
  bytes: Uint8Array;
  externalData: Map<string, Uint8Array>;
  /** Feeds from the bundle's reference inputs; random float inputs when undefined. */
  feeds?: Record<string, Tensor>;
}

const IMAGE_ENCODER_ROLES = ['backbone', 'sam_encoder', 'clip_image_encoder'];

/** A bundle's graph (the image encoder unless `graphName` names another) on its reference inputs. */
export async function bundleWorkload(dir: string, graphName: string | undefined, variant: string): Promise<Workload> {
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

/** The command-line options (`node:util` parseArgs) that choose a workload, shared by the bench and the profiler. */
export const WORKLOAD_OPTIONS = {
  bundle: { type: 'string' },
  graph: { type: 'string' },
  variant: { type: 'string', default: 'fp32' },
  model: { type: 'string' },
} as const;

/** The workload those options name: a bundle's graph, an ONNX file, or else `fallback()`. */
export async function workloadFromOptions(
  values: { bundle?: string; graph?: string; variant: string; model?: string },
  fallback: () => Workload,
): Promise<Workload> {
  if (values.bundle) return bundleWorkload(values.bundle, values.graph, values.variant);
  if (values.model) return { label: path.basename(values.model), bytes: new Uint8Array(await readFile(values.model)), externalData: new Map() };
  return fallback();
}

/** Random float32 feeds for every graph input (symbolic dims become 1). */
export function randomFeeds(bytes: Uint8Array): Record<string, Tensor> {
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
