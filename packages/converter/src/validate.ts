/**
 * Validation: runs a converted variant through core's backend registry and measures how closely it
 * answers like the float32 reference — either the fp32 graph run on the same backend and inputs, or
 * outputs already known for those inputs (a bundle's exporter-written PyTorch references), which
 * saves running the fp32 graph and its memory. The converter never imports an engine; callers
 * register backends (e.g. `registerOrtNodeBackends()`) before validating.
 */
import { SamClipError, isSamClipError, resolveBackend, tensorToFloat32 } from '@samclip/core';
import type { Feeds, SessionValue, Tensor } from '@samclip/core';
import { agreement, argmaxRows, cosineSimilarity, maskIoU, maxAbsError, median, nearestClass } from './metrics.js';
import type { Precision } from './targets.js';

export interface Thresholds {
  /** Minimum cosine similarity of every float output. */
  cosine?: number;
  /** Maximum absolute error of every float output. */
  maxAbsError?: number;
  /** Minimum IoU of SAM masks (`masks`, `low_res_masks`) thresholded at 0. */
  maskIoU?: number;
  /** Minimum fraction of rows whose label (zero-shot class or top-1) is unchanged. */
  labelAgreement?: number;
}

export interface ValidationThresholds extends Thresholds {
  /** Per-graph overrides, merged over the global values. */
  graphs?: Record<string, Thresholds>;
}

/** Defaults per precision; mask IoU and cosine follow the acceptance bars in docs/converter.md. */
export const DEFAULT_THRESHOLDS: Readonly<Record<Precision, Thresholds>> = {
  fp16: { cosine: 0.999, maskIoU: 0.99 },
  int8: { cosine: 0.99, maskIoU: 0.95 },
  int4: { cosine: 0.95, maskIoU: 0.9 },
  // fp32 variants only restructure the graph (attention chunking): they must match to rounding.
  fp32: { cosine: 0.9999, maskIoU: 0.999 },
};

export interface OutputReport {
  name: string;
  dims: number[];
  cosine: number;
  maxAbsError: number;
  maskIoU?: number;
  labelAgreement?: number;
  /** How labels were taken: nearest text embedding (zero-shot) or argmax of the last dimension. */
  labelSource?: 'text-embeddings' | 'argmax';
  failures: string[];
}

export interface BackendValidation {
  backend: string;
  /** Median wall time of `runs` session runs, in milliseconds (absent when skipped; no `reference` when the reference outputs were given). */
  latencyMs?: { reference?: number; variant: number };
  outputs: OutputReport[];
  /** Set when the backend cannot run even the fp32 graph (an operator it lacks), so there is nothing to compare. */
  skipped?: string;
}

export interface GraphValidation {
  graph: string;
  /** What the variant was compared with: the fp32 graph run on each backend, or given reference outputs. */
  reference: 'fp32-run' | 'stored-outputs';
  backends: BackendValidation[];
  passed: boolean;
  failures: string[];
}

export interface ValidateGraphInput {
  graph: string;
  /** The fp32 graph to run beside the variant, or its known outputs for `feeds`. */
  reference: { model: Uint8Array; externalData?: ReadonlyMap<string, Uint8Array> } | { outputs: Readonly<Record<string, Tensor>> };
  variant: { model: Uint8Array; externalData?: ReadonlyMap<string, Uint8Array> };
  feeds: Feeds;
  backends: readonly string[];
  runs: number;
  thresholds: Thresholds;
  /** Reference text embeddings [B, E] for zero-shot label agreement of embedding outputs. */
  textEmbeddings?: { data: Float32Array; dim: number };
}

const MASK_OUTPUTS = new Set(['masks', 'low_res_masks']);

async function toTensor(value: SessionValue): Promise<Tensor> {
  return 'location' in value && value.location === 'device' ? value.download() : (value as Tensor);
}

async function runTimed(backendName: string, model: { model: Uint8Array; externalData?: ReadonlyMap<string, Uint8Array> }, feeds: Feeds, runs: number) {
  let resolved;
  try {
    resolved = await resolveBackend(backendName);
  } catch (error) {
    throw new SamClipError(
      'BACKEND_UNAVAILABLE',
      `Validation backend "${backendName}" is not available (${(error as Error).message}). Register it before converting (registerOrtNodeBackends() from '@samclip/backend-ort/node', registerTfjsBackends() from '@samclip/backend-tfjs') or pass validate: false.`,
      { backend: backendName },
      { cause: error },
    );
  }
  const session = await resolved.backend.createSession(model.model, model.externalData ? { externalData: model.externalData } : {});
  try {
    const times: number[] = [];
    let outputs: Record<string, Tensor> = {};
    for (let i = 0; i < Math.max(1, runs); i++) {
      const start = performance.now();
      const fetched = await session.run(feeds);
      times.push(performance.now() - start);
      outputs = {};
      for (const [name, value] of Object.entries(fetched)) outputs[name] = await toTensor(value);
    }
    return { outputs, latency: median(times) };
  } finally {
    await session.dispose();
  }
}

function compareOutput(name: string, reference: Tensor, variant: Tensor, thresholds: Thresholds, textEmbeddings: ValidateGraphInput['textEmbeddings']): OutputReport {
  const dims = [...reference.dims];
  const failures: string[] = [];
  if (reference.dims.join('x') !== variant.dims.join('x')) {
    return { name, dims, cosine: 0, maxAbsError: Infinity, failures: [`${name}: shape [${variant.dims.join(', ')}] differs from the reference [${dims.join(', ')}]`] };
  }
  const a = tensorToFloat32(reference);
  const b = tensorToFloat32(variant);
  const report: OutputReport = { name, dims, cosine: cosineSimilarity(a, b), maxAbsError: maxAbsError(a, b), failures };
  if (MASK_OUTPUTS.has(name)) report.maskIoU = maskIoU(a, b, 0);
  else if (dims.length >= 1) {
    const last = dims[dims.length - 1]!;
    if (textEmbeddings && name.endsWith('embeds') && last === textEmbeddings.dim) {
      report.labelAgreement = agreement(nearestClass(a, textEmbeddings.data, last), nearestClass(b, textEmbeddings.data, last));
      report.labelSource = 'text-embeddings';
    } else if (last > 1) {
      report.labelAgreement = agreement(argmaxRows(a, last), argmaxRows(b, last));
      report.labelSource = 'argmax';
    }
  }
  const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(6) : String(v));
  if (thresholds.cosine !== undefined && !(report.cosine >= thresholds.cosine)) failures.push(`${name}: cosine ${fmt(report.cosine)} < ${thresholds.cosine}`);
  if (thresholds.maxAbsError !== undefined && !(report.maxAbsError <= thresholds.maxAbsError)) failures.push(`${name}: max abs error ${fmt(report.maxAbsError)} > ${thresholds.maxAbsError}`);
  if (thresholds.maskIoU !== undefined && report.maskIoU !== undefined && !(report.maskIoU >= thresholds.maskIoU)) failures.push(`${name}: mask IoU ${fmt(report.maskIoU)} < ${thresholds.maskIoU}`);
  if (thresholds.labelAgreement !== undefined && report.labelAgreement !== undefined && !(report.labelAgreement >= thresholds.labelAgreement)) {
    failures.push(`${name}: label agreement ${fmt(report.labelAgreement)} < ${thresholds.labelAgreement}`);
  }
  return report;
}

/** Runs reference and variant on every backend and checks each output against the thresholds. */
export async function validateGraph(input: ValidateGraphInput): Promise<GraphValidation> {
  const backends: BackendValidation[] = [];
  const failures: string[] = [];
  const given = 'outputs' in input.reference ? input.reference.outputs : undefined;
  for (const backend of input.backends) {
    let reference: { outputs: Readonly<Record<string, Tensor>>; latency?: number };
    if (given) reference = { outputs: given };
    else {
      try {
        reference = await runTimed(backend, input.reference as { model: Uint8Array }, input.feeds, input.runs);
      } catch (error) {
        if (!isSamClipError(error, 'UNSUPPORTED_OP') && !isSamClipError(error, 'UNSUPPORTED')) throw error;
        backends.push({ backend, outputs: [], skipped: `the fp32 graph does not run on ${backend}: ${error.message}` });
        continue;
      }
    }
    const variant = await runTimed(backend, input.variant, input.feeds, input.runs);
    const outputs: OutputReport[] = [];
    for (const [name, tensor] of Object.entries(reference.outputs)) {
      const other = variant.outputs[name];
      if (!other) {
        outputs.push({ name, dims: [...tensor.dims], cosine: 0, maxAbsError: Infinity, failures: [`${name}: missing from the variant's outputs`] });
        continue;
      }
      outputs.push(compareOutput(name, tensor, other, input.thresholds, input.textEmbeddings));
    }
    for (const output of outputs) failures.push(...output.failures.map((f) => `${input.graph} on ${backend}: ${f}`));
    backends.push({ backend, latencyMs: { ...(reference.latency !== undefined ? { reference: reference.latency } : {}), variant: variant.latency }, outputs });
  }
  return { graph: input.graph, reference: given ? 'stored-outputs' : 'fp32-run', backends, passed: failures.length === 0, failures };
}

export function thresholdsFor(graph: string, precision: Precision, user: ValidationThresholds | undefined): Thresholds {
  const { graphs, ...global } = user ?? {};
  return { ...DEFAULT_THRESHOLDS[precision], ...global, ...graphs?.[graph] };
}
