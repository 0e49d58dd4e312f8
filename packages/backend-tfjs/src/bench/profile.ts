/**
 * npm run profile -w @samclip/backend-tfjs -- (--bundle DIR [--graph backbone] [--variant fp32] | --model FILE.onnx)
 *   [--nodes REGEX] [--runs 3] [--engine wasm] [--top 15]
 * Times every compiled step of a graph on tfjs-wasm (or tfjs-cpu), both of which compute
 * synchronously, so a step's wall time is its kernel's cost. `--nodes` keeps only the steps whose
 * node name matches (e.g. one windowed and one global block of a SAM backbone); values they read from
 * dropped steps are fed deterministic random data of the statically inferred shape. Prints the
 * median over runs of the time per op type and the slowest steps. Node only.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { decodeModel } from '@samclip/core';
import { TfjsBackend } from '../backend.js';
import type { TfjsEngine } from '../backend.js';
import { planModel } from '../compile/plan.js';
import type { PlannedStep } from '../compile/plan.js';
import { executeNode } from '../kernels/execute.js';
import { KERNELS } from '../kernels/index.js';
import { KernelRegistry } from '../kernels/registry.js';
import { nodeWasmPaths } from '../node.js';
import { disposeValue, hostValue } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import { WORKLOAD_OPTIONS, randomFeeds, randomInput, workloadFromOptions } from './workload.js';
import type { Workload } from './workload.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Floating-point operations of a MatMul step (2·batch·M·K·N), from its static shapes. */
function matmulFlops(step: PlannedStep, shapes: ReadonlyMap<string, readonly number[]>): number | undefined {
  if (step.node.opType !== 'MatMul') return undefined;
  const a = shapes.get(step.node.inputs[0] ?? '');
  const y = shapes.get(step.node.outputs[0] ?? '');
  if (!a || !y) return undefined;
  return 2 * y.reduce((n, d) => n * d, 1) * a[a.length - 1]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...WORKLOAD_OPTIONS,
      nodes: { type: 'string' },
      runs: { type: 'string', default: '3' },
      engine: { type: 'string', default: 'wasm' },
      top: { type: 'string', default: '15' },
    },
  });
  if (values.engine !== 'wasm' && values.engine !== 'cpu') throw new Error('--engine must be wasm or cpu (engines that compute synchronously)');
  const workload: Workload = await workloadFromOptions(values, () => {
    throw new Error('pass --bundle DIR or --model FILE.onnx');
  });
  const feeds = workload.feeds ?? randomFeeds(workload.bytes);
  const engine = values.engine as TfjsEngine;
  await new TfjsBackend(engine, { wasmPaths: nodeWasmPaths() }).init();

  const compileStart = performance.now();
  const plan = planModel(decodeModel(workload.bytes), { registry: new KernelRegistry(KERNELS), alternatives: [], externalData: workload.externalData });
  const compileMs = performance.now() - compileStart;
  const filter = values.nodes ? new RegExp(values.nodes) : undefined;
  const steps = plan.steps.filter((s) => !filter || filter.test(s.node.name));
  if (steps.length === 0) throw new Error(`no step's node name matches /${values.nodes}/`);

  // Values the selected steps read but do not produce: constants, feeds, or random stand-ins.
  const produced = new Set(steps.flatMap((s) => s.node.outputs));
  const fixed = new Map<string, Value>();
  const owned: Value[] = [];
  for (const name of new Set(steps.flatMap((s) => s.node.inputs))) {
    if (!name || produced.has(name)) continue;
    const constant = plan.constants.get(name);
    if (constant) {
      fixed.set(name, constant);
      continue;
    }
    const feed = feeds[name];
    const shape = plan.shapes.get(name);
    if (!feed && !shape) throw new Error(`"${name}" comes from a dropped step and its shape is not static; widen --nodes`);
    const value = hostValue(feed ?? { dtype: 'float32', dims: [...shape!], data: randomInput(shape!) });
    fixed.set(name, value);
    owned.push(value);
  }
  const lastUse = new Map<string, number>();
  steps.forEach((s, i) => s.node.inputs.forEach((name) => name && lastUse.set(name, i)));

  const runs = Number(values.runs);
  const samples = steps.map(() => [] as number[]);
  const totals: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const live = new Map<string, Value>(fixed);
    const runStart = performance.now();
    steps.forEach((step, i) => {
      const start = performance.now();
      const outputs = executeNode(step.kernel, step.node, step.node.inputs.map((name) => (name ? live.get(name) : undefined)), plan.env);
      const ms = performance.now() - start;
      if (run > 0) samples[i]!.push(ms);
      step.node.outputs.forEach((name, k) => {
        const v = outputs[k];
        if (!v) return;
        if (name && lastUse.has(name)) live.set(name, v);
        else disposeValue(v);
      });
      for (const name of step.node.inputs) {
        if (name && lastUse.get(name) === i && !fixed.has(name)) {
          disposeValue(live.get(name)!);
          live.delete(name);
        }
      }
    });
    if (run > 0) totals.push(performance.now() - runStart);
    for (const [name, v] of live) if (!fixed.has(name)) disposeValue(v);
  }

  const perStep = samples.map(median);
  const byOp = new Map<string, { count: number; ms: number }>();
  steps.forEach((s, i) => {
    const entry = byOp.get(s.node.opType) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += perStep[i]!;
    byOp.set(s.node.opType, entry);
  });
  const total = median(totals);
  const out = process.stdout;
  out.write(`${workload.label}\n${steps.length} of ${plan.steps.length} steps${filter ? ` matching /${values.nodes}/` : ''} on tfjs-${engine}, median of ${runs} runs after a warm-up (compile ${compileMs.toFixed(0)} ms)\n\n`);
  out.write('| op type | steps | ms | share |\n|---|---|---|---|\n');
  for (const [op, { count, ms }] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
    out.write(`| ${op} | ${count} | ${ms.toFixed(1)} | ${((100 * ms) / total).toFixed(1)}% |\n`);
  }
  out.write(`| total | ${steps.length} | ${total.toFixed(1)} | |\n\nslowest steps:\n`);
  const order = steps.map((_, i) => i).sort((a, b) => perStep[b]! - perStep[a]!);
  for (const i of order.slice(0, Number(values.top))) {
    const step = steps[i]!;
    const shapes = step.node.inputs.map((name) => `[${plan.shapes.get(name)?.join('×') ?? fixed.get(name)?.dims.join('×') ?? '?'}]`);
    const flops = matmulFlops(step, plan.shapes);
    const rate = flops ? `  ${(flops / perStep[i]! / 1e6).toFixed(1)} GFLOP/s` : '';
    out.write(`  ${perStep[i]!.toFixed(1).padStart(9)} ms  ${step.node.opType} ${step.node.name} ${shapes.join(' ')} → [${plan.shapes.get(step.node.outputs[0] ?? '')?.join('×') ?? '?'}]${rate}\n`);
  }
  for (const v of owned) disposeValue(v);
  for (const v of plan.constants.values()) disposeValue(v);
  out.write(`engine tensors left: ${tf.memory().numTensors}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
