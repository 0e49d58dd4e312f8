/**
 * npm run bench -w @samclip/backend-tfjs -- [--bundle DIR [--graph backbone] [--variant fp32] | --model FILE.onnx]
 *   [--image-size 224] [--depth 12] [--runs 5] [--threads 1]
 * Times tfjs-wasm against onnxruntime-web's wasm backend on the same graph: a bundle's graph on its
 * reference inputs (the image encoder by default), the given model, or a seeded random ViT-B/16
 * image encoder. Prints the median of `runs` timed runs after one warm-up, wall-clock and CPU time of
 * this process (both engines compute on one thread, so on a shared machine the CPU time is close to
 * what an idle machine's wall clock would show), and the ratios. Node only.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Tensor } from '@samclip/core';
import * as ort from 'onnxruntime-web';
import { TfjsBackend } from '../backend.js';
import { nodeWasmPaths } from '../node.js';
import { buildVitEncoder, VIT_B_16 } from './vit.js';
import { WORKLOAD_OPTIONS, randomFeeds, workloadFromOptions } from './workload.js';
import type { Workload } from './workload.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Timing {
  /** Median wall-clock ms. */
  wall: number;
  /** Median CPU ms of this process (user + system): with one compute thread, close to the unloaded wall time on a shared machine. */
  cpu: number;
}

async function time(runs: number, once: () => Promise<void>): Promise<Timing> {
  await once();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    await once();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function toOrtTensor(tensor: Tensor): ort.Tensor {
  return new ort.Tensor(tensor.dtype as ort.Tensor.Type, tensor.data as ort.Tensor.DataType, [...tensor.dims]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...WORKLOAD_OPTIONS,
      'image-size': { type: 'string', default: '224' },
      depth: { type: 'string', default: String(VIT_B_16.depth) },
      runs: { type: 'string', default: '5' },
      threads: { type: 'string', default: '1' },
    },
  });
  const runs = Number(values.runs);
  const workload: Workload = await workloadFromOptions(values, () => ({
    label: `random ViT-B/16 (${values['image-size']}², depth ${values.depth})`,
    bytes: buildVitEncoder({ ...VIT_B_16, imageSize: Number(values['image-size']), depth: Number(values.depth) }),
    externalData: new Map(),
  }));
  const { label, bytes, externalData } = workload;
  const feeds = workload.feeds ?? randomFeeds(bytes);

  const tfjs = new TfjsBackend('wasm', { wasmPaths: nodeWasmPaths() });
  const tfjsSession = await tfjs.createSession(bytes, externalData.size > 0 ? { externalData } : {});
  const tfjsTime = await time(runs, async () => void (await tfjsSession.run(feeds)));
  await tfjsSession.dispose();

  const require = createRequire(import.meta.url);
  ort.env.wasm.wasmPaths = `${path.dirname(require.resolve('onnxruntime-web'))}${path.sep}`;
  ort.env.wasm.numThreads = Number(values.threads);
  const ortSession = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    ...(externalData.size > 0 ? { externalData: [...externalData].map(([location, data]) => ({ path: location, data })) } : {}),
  });
  const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, toOrtTensor(t)]));
  const ortTime = await time(runs, async () => {
    const out = await ortSession.run(ortFeeds);
    for (const t of Object.values(out)) t.dispose();
  });
  await ortSession.release();

  process.stdout.write(`${label}, median of ${runs} runs after a warm-up (ort-wasm threads: ${values.threads})\n`);
  const row = (label: string, t: Timing) => `  ${label.padEnd(10)} ${t.wall.toFixed(1).padStart(12)} ms wall ${t.cpu.toFixed(1).padStart(12)} ms CPU\n`;
  process.stdout.write(row('tfjs-wasm', tfjsTime) + row('ort-wasm', ortTime));
  process.stdout.write(`  ratio      ${(tfjsTime.wall / ortTime.wall).toFixed(2)}× wall, ${(tfjsTime.cpu / ortTime.cpu).toFixed(2)}× CPU (target ≤ 3×, goal ≤ 1.5×)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
