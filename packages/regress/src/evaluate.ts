/**
 * Turns raw runs into matrix cells: every output against the PyTorch reference and against the
 * baseline column (the first column that ran the same variant), plus the task checks — decoder mask
 * IoU at logit 0, CLIP top-1 label agreement and embedding cosines — each held to the tolerance of
 * its variant's dtype and the column's backend class.
 */
import { tensorToFloat32 } from '@samclip/core';
import type { Bundle, Tensor, VariantDType } from '@samclip/core';
import { argmax, clipLogits, cosine, maskIou, maxAbs, maxAbsDiff, median, minRowCosine } from './metrics.js';
import type { BackendRun, TaskReferences, VariantRun } from './run-bundle.js';
import type { MatrixTarget } from './targets.js';
import { crossTolerance, referenceTolerance, toleranceBound } from './tolerances.js';
import type { Tolerance } from './tolerances.js';

export interface Comparison {
  maxAbs: number;
  /** The bound maxAbs is held to (atol + rtol·max|expected|). */
  bound: number;
  cosine: number;
  /** Min IoU over mask planes at logit 0 (decoder `masks` only). */
  iou?: number;
}

export interface OutputCheck {
  name: string;
  reference: Comparison;
  /** Against the baseline column's output of the same variant (absent on the baseline itself). */
  cross?: Comparison;
}

export interface GraphCheck {
  graph: string;
  dtype: VariantDType;
  outputs: OutputCheck[];
  latencyMs: number;
  /** How many timed runs the median latency is of. */
  timedRuns: number;
  loadMs: number;
}

export interface TaskCheck {
  /** Min IoU over the segment references (masks at logit 0 vs PyTorch's masks). */
  maskIou?: number;
  /** Min IoU against the baseline column's masks. */
  crossMaskIou?: number;
  top1?: { label: string; expected: string; agree: boolean };
  imageCosine?: number;
  textCosine?: number;
}

export type CellStatus = 'pass' | 'fail' | 'unavailable';

export interface Cell {
  bundle: string;
  variant: string;
  dtype: VariantDType;
  target: string;
  platform: MatrixTarget['platform'];
  status: CellStatus;
  /** Why a column could not run, or the error that stopped the variant. */
  reason?: string;
  failures: string[];
  graphs: GraphCheck[];
  tasks?: TaskCheck;
  /** Worst values over every graph, for the summary table. */
  summary: { maxAbs: number; maxAbsGraph?: string; minCosine: number; maskIou?: number; crossMaxAbs?: number; latencyMs: number };
}

/** PyTorch's outputs for a bundle, loaded once and shared by every column. */
export interface BundleReferences {
  bundle: Bundle;
  outputs: Map<string, Record<string, Tensor>>;
  tasks?: TaskReferences;
  segmentMasks: Map<string, Tensor>;
  imageEmbeds?: Tensor;
  textEmbeds?: Tensor;
  /** Why the task references could not be read (every cell of the bundle fails with it). */
  error?: string;
}

export async function loadReferences(bundle: Bundle): Promise<BundleReferences> {
  const references = bundle.references();
  const outputs = new Map<string, Record<string, Tensor>>();
  for (const graph of references.graphs()) {
    const named: Record<string, Tensor> = {};
    for (const { name, tensor } of await references.outputs(graph)) named[name] = tensor;
    outputs.set(graph, named);
  }
  const result: BundleReferences = { bundle, outputs, segmentMasks: new Map() };
  if (!bundle.manifest.references?.tasks) return result;
  try {
    const tasks = (await references.tasks()) as TaskReferences;
    for (const entry of tasks.segment ?? []) result.segmentMasks.set(entry.name, (await references.tensor(entry.masks)).tensor);
    if (tasks.classify?.imageEmbeds) result.imageEmbeds = (await references.tensor(tasks.classify.imageEmbeds)).tensor;
    if (tasks.classify?.textEmbeds) result.textEmbeds = (await references.tensor(tasks.classify.textEmbeds)).tensor;
    result.tasks = tasks;
  } catch (error) {
    result.error = `the task references cannot be read: ${error instanceof Error ? error.message : String(error)}`;
  }
  return result;
}

const DTYPE_RANK: Readonly<Record<VariantDType, number>> = { fp32: 0, fp16: 1, bf16: 1, mixed: 2, int8: 3, uint8: 3, int4: 4, uint4: 4 };

/** The coarsest dtype among the variants a chain used: tasks are held to its tolerance. */
function coarsest(bundle: Bundle, used: Record<string, string>): VariantDType {
  let worst: VariantDType = 'fp32';
  for (const [graph, variant] of Object.entries(used)) {
    const dtype = bundle.variant(graph, variant).dtype;
    if (DTYPE_RANK[dtype] > DTYPE_RANK[worst]) worst = dtype;
  }
  return worst;
}

/** The dtype a variant name stands for (its first graph's). */
export function variantDtype(bundle: Bundle, variant: string): VariantDType {
  for (const graph of bundle.graphNames()) if (bundle.variants(graph).includes(variant)) return bundle.variant(graph, variant).dtype;
  return 'fp32';
}

/** IoU per mask plane of [1, K, H, W] logits; `planes` picks which K to compare. */
function planeIous(actual: Float32Array, dims: readonly number[], expected: ArrayLike<number>, planes: readonly number[], expectedThreshold: number): number {
  const plane = (dims[dims.length - 1] ?? 0) * (dims[dims.length - 2] ?? 0);
  let worst = 1;
  planes.forEach((k, i) => {
    worst = Math.min(worst, maskIou(actual, expected, { start: k * plane, end: (k + 1) * plane, expectedStart: i * plane, threshold: 0, expectedThreshold }));
  });
  return worst;
}

function compare(actual: Tensor, expected: Tensor, tolerance: Tolerance, isMask: boolean): Comparison {
  const a = tensorToFloat32(actual);
  const e = tensorToFloat32(expected);
  const sameShape = actual.dims.length === expected.dims.length && actual.dims.every((d, i) => d === expected.dims[i]);
  const comparison: Comparison = {
    maxAbs: sameShape ? maxAbsDiff(a, e) : Infinity,
    bound: toleranceBound(maxAbs(e), tolerance),
    cosine: sameShape ? cosine(a, e) : 0,
  };
  if (isMask) {
    const k = actual.dims[1] ?? 1;
    comparison.iou = sameShape ? planeIous(a, actual.dims, e, Array.from({ length: k }, (_, i) => i), 0) : 0;
  }
  return comparison;
}

function fmt(value: number): string {
  return Number.isFinite(value) ? value.toExponential(2) : String(value);
}

function judge(where: string, comparison: Comparison, tolerance: Tolerance, failures: string[]): void {
  if (!(comparison.maxAbs <= comparison.bound)) failures.push(`${where}: max abs error ${fmt(comparison.maxAbs)} > ${fmt(comparison.bound)}`);
  if (!(comparison.cosine >= tolerance.minCosine)) failures.push(`${where}: cosine ${comparison.cosine.toFixed(6)} < ${tolerance.minCosine}`);
  if (comparison.iou !== undefined && !(comparison.iou >= tolerance.minIou)) failures.push(`${where}: mask IoU ${comparison.iou.toFixed(4)} < ${tolerance.minIou}`);
}

/** Decoder mask planes a segment reference holds: multimask → outputs 1..3, else output 0. */
function segmentPlanes(k: number, multimask: boolean): number[] {
  return multimask && k === 4 ? [1, 2, 3] : [0];
}

function checkTasks(refs: BundleReferences, run: VariantRun, baseline: VariantRun | undefined, target: MatrixTarget, failures: string[]): TaskCheck | undefined {
  const tasks = run.tasks;
  if (!tasks || !refs.tasks) return undefined;
  // Checked only when the chain ran; a chain that failed is already among the run's errors.
  const dtype = coarsest(refs.bundle, tasks.variants);
  const tolerance = referenceTolerance(dtype, target.gpu);
  const cross = crossTolerance(dtype, target.gpu);
  const check: TaskCheck = {};
  for (const entry of refs.tasks.segment ?? []) {
    const actual = tasks.segment.find((segment) => segment.name === entry.name);
    const expected = refs.segmentMasks.get(entry.name);
    if (!actual || !expected) {
      failures.push(`segment "${entry.name}": no masks were produced`);
      continue;
    }
    const planes = segmentPlanes(actual.masks.dims[1] ?? 1, entry.multimask);
    const iou = planeIous(tensorToFloat32(actual.masks), actual.masks.dims, tensorToFloat32(expected), planes, 0);
    check.maskIou = Math.min(check.maskIou ?? 1, iou);
    if (!(iou >= tolerance.minIou)) failures.push(`segment "${entry.name}": mask IoU ${iou.toFixed(4)} < ${tolerance.minIou} vs PyTorch`);
    const base = baseline?.tasks?.segment.find((segment) => segment.name === entry.name);
    if (base) {
      const all = Array.from({ length: actual.masks.dims[1] ?? 1 }, (_, i) => i);
      const crossIou = planeIous(tensorToFloat32(actual.masks), actual.masks.dims, tensorToFloat32(base.masks), all, 0);
      check.crossMaskIou = Math.min(check.crossMaskIou ?? 1, crossIou);
      if (!(crossIou >= cross.minIou)) failures.push(`segment "${entry.name}": mask IoU ${crossIou.toFixed(4)} < ${cross.minIou} vs the baseline column`);
    }
  }
  const classify = refs.tasks.classify;
  if (tasks.imageEmbeds && refs.imageEmbeds) {
    check.imageCosine = cosine(tensorToFloat32(tasks.imageEmbeds), tensorToFloat32(refs.imageEmbeds));
    if (!(check.imageCosine >= tolerance.minCosine)) failures.push(`image_embeds: cosine ${check.imageCosine.toFixed(6)} < ${tolerance.minCosine} vs PyTorch`);
  }
  if (tasks.textEmbeds && refs.textEmbeds) {
    const width = tasks.textEmbeds.dims[tasks.textEmbeds.dims.length - 1] ?? 1;
    check.textCosine = minRowCosine(tensorToFloat32(tasks.textEmbeds), tensorToFloat32(refs.textEmbeds), width);
    if (!(check.textCosine >= tolerance.minCosine)) failures.push(`text_embeds: min cosine ${check.textCosine.toFixed(6)} < ${tolerance.minCosine} vs PyTorch`);
  }
  if (classify && tasks.imageEmbeds && tasks.textEmbeds) {
    const width = tasks.textEmbeds.dims[tasks.textEmbeds.dims.length - 1] ?? 1;
    const logits = clipLogits(tensorToFloat32(tasks.imageEmbeds), tensorToFloat32(tasks.textEmbeds), width, refs.bundle.config.logitScale ?? 100);
    const label = classify.labels[argmax(logits)] ?? '?';
    const expected = classify.labels[argmax(classify.probs)] ?? '?';
    check.top1 = { label, expected, agree: label === expected };
    if (!check.top1.agree) failures.push(`classify: top-1 "${label}" but PyTorch says "${expected}"`);
  } else if (classify) {
    failures.push('classify: the chain produced no image_embeds or text_embeds');
  }
  return check;
}

/** One cell: a column's run of one variant, judged against PyTorch and the baseline column. */
export function evaluateVariant(refs: BundleReferences, run: VariantRun, baseline: VariantRun | undefined, target: MatrixTarget): Cell {
  const bundle = refs.bundle;
  const failures: string[] = [...(refs.error ? [refs.error] : []), ...run.errors];
  const graphs: GraphCheck[] = [];
  for (const graphRun of run.graphs) {
    const dtype = bundle.variant(graphRun.graph, run.variant).dtype;
    const refTolerance = referenceTolerance(dtype, target.gpu);
    const xTolerance = crossTolerance(dtype, target.gpu);
    const expected = refs.outputs.get(graphRun.graph) ?? {};
    const base = baseline?.graphs.find((g) => g.graph === graphRun.graph);
    const isDecoder = bundle.graph(graphRun.graph).role === 'prompt_decoder';
    const outputs: OutputCheck[] = [];
    for (const [name, reference] of Object.entries(expected)) {
      const actual = graphRun.outputs[name];
      if (!actual) {
        failures.push(`${graphRun.graph}/${name}: not returned`);
        continue;
      }
      const isMask = isDecoder && name === 'masks';
      const check: OutputCheck = { name, reference: compare(actual, reference, refTolerance, isMask) };
      judge(`${graphRun.graph}/${name} vs PyTorch`, check.reference, refTolerance, failures);
      const baseOutput = base?.outputs[name];
      if (baseOutput) {
        check.cross = compare(actual, baseOutput, xTolerance, isMask);
        judge(`${graphRun.graph}/${name} vs baseline`, check.cross, xTolerance, failures);
      }
      outputs.push(check);
    }
    graphs.push({ graph: graphRun.graph, dtype, outputs, latencyMs: median(graphRun.latencyMs), timedRuns: graphRun.latencyMs.length, loadMs: graphRun.loadMs });
  }
  const tasks = checkTasks(refs, run, baseline, target, failures);
  let worst = { maxAbs: 0, graph: undefined as string | undefined, cosine: 1, cross: undefined as number | undefined, iou: tasks?.maskIou };
  for (const graph of graphs) {
    for (const output of graph.outputs) {
      if (!(output.reference.maxAbs <= worst.maxAbs)) worst = { ...worst, maxAbs: output.reference.maxAbs, graph: graph.graph };
      worst.cosine = Math.min(worst.cosine, output.reference.cosine);
      if (output.cross) worst.cross = Math.max(worst.cross ?? 0, output.cross.maxAbs);
      if (output.reference.iou !== undefined) worst.iou = Math.min(worst.iou ?? 1, output.reference.iou);
    }
  }
  const cell: Cell = {
    bundle: bundle.name,
    variant: run.variant,
    dtype: variantDtype(bundle, run.variant),
    target: target.id,
    platform: target.platform,
    status: failures.length === 0 ? 'pass' : 'fail',
    failures,
    graphs,
    // With no graph run there is nothing to summarise (NaN prints as a dash).
    summary: {
      maxAbs: graphs.length > 0 ? worst.maxAbs : NaN,
      minCosine: graphs.length > 0 ? worst.cosine : NaN,
      latencyMs: graphs.length > 0 ? graphs.reduce((sum, graph) => sum + graph.latencyMs, 0) : NaN,
    },
  };
  if (run.errors.length > 0) cell.reason = run.errors.join('; ');
  if (tasks) cell.tasks = tasks;
  if (worst.graph) cell.summary.maxAbsGraph = worst.graph;
  if (worst.iou !== undefined) cell.summary.maskIou = worst.iou;
  if (worst.cross !== undefined) cell.summary.crossMaxAbs = worst.cross;
  return cell;
}

/**
 * Cells for a whole column. A column that cannot run gives one `unavailable` cell per variant (a
 * failure when `strict`, as under CI); one that broke down gives `fail` cells. `baselineFor` names
 * the run each variant is compared with across backends.
 */
export function evaluateRun(
  refs: BundleReferences,
  run: BackendRun,
  target: MatrixTarget,
  variants: readonly string[],
  baselineFor: (variant: string) => VariantRun | undefined,
  strict: boolean,
): Cell[] {
  const reason = run.unavailable ?? run.error;
  if (reason !== undefined) {
    const status: CellStatus = run.error !== undefined || strict ? 'fail' : 'unavailable';
    return variants.map((variant) => ({
      bundle: refs.bundle.name,
      variant,
      dtype: variantDtype(refs.bundle, variant),
      target: target.id,
      platform: target.platform,
      status,
      reason,
      failures: status === 'fail' ? [run.error !== undefined ? reason : `${target.id} cannot run here (nothing may be skipped under CI): ${reason}`] : [],
      graphs: [],
      summary: { maxAbs: NaN, minCosine: NaN, latencyMs: NaN },
    }));
  }
  return run.variants.map((variantRun) => evaluateVariant(refs, variantRun, baselineFor(variantRun.variant), target));
}
