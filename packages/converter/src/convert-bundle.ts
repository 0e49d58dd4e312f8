/**
 * convertBundle: converts every fp32 graph of a samclip bundle into a new variant, validates it
 * against the fp32 graph on the bundle's reference inputs, and adds it to samclip.json with
 * provenance. Graphs are processed one at a time (read, convert, encode, write to a staging
 * directory, release), so memory stays bounded by the largest graph. Nothing becomes visible until
 * every graph has passed validation: staged files are renamed into place and the manifest is
 * written last, atomically. The same input and settings always produce the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SamClipError, encodeModel, initializerToTensor, manifestFiles, parseManifest, tensorDataToRawBytes } from '@samclip/core';
import type { BundleManifest, Feeds, FileEntry, GraphVariant, Model, VariantDType } from '@samclip/core';
import { fileEntryFor, openBundle, writeFileAtomic } from '@samclip/core/node';
import type { ConvertModelOptions, ResolvedSettings } from './convert-model.js';
import { convertModel, resolveSettings } from './convert-model.js';
import type { PassReport } from './pipeline.js';
import type { ConversionTarget, Precision } from './targets.js';
import type { GraphValidation, ValidationThresholds } from './validate.js';
import { thresholdsFor, validateGraph } from './validate.js';
import { CONVERTER_ID } from './version.js';

export interface ConvertBundleOptions extends Omit<ConvertModelOptions, 'onPass'> {
  /** Write the converted bundle (a full copy plus the new variants) here instead of in place. */
  out?: string;
  /** Variant name in samclip.json; defaults to `to` for ort-node and `<to>-<target>` otherwise (always `fp32-<target>` for fp32). */
  variant?: string;
  /** Graphs to convert (default: every graph with an fp32 variant). */
  graphs?: readonly string[];
  /**
   * `false` skips validation; otherwise the backends to validate on, timed runs per model, and what
   * the variant is compared with: `'stored'` (default) the bundle's reference outputs (the exporter's
   * PyTorch fp32 outputs for the reference inputs, so the fp32 graph is not run and its memory is not
   * needed), `'run'` the fp32 graph run on each backend beside the variant (also times it).
   */
  validate?: false | { backends?: readonly string[]; runs?: number; against?: 'stored' | 'run' };
  thresholds?: ValidationThresholds;
  /** Graphs whose encoded size would pass this many bytes keep their weights in an external .data file (default 1.8e9, under protobuf's 2 GiB). */
  externalDataThreshold?: number;
  onProgress?: (event: ConversionProgress) => void;
}

export interface ConversionProgress {
  phase: 'convert' | 'pass' | 'write' | 'validate' | 'commit' | 'done';
  graph?: string;
  /** 0-based position of `graph` among the graphs being converted. */
  index: number;
  total: number;
  message: string;
}

export interface GraphConversionReport {
  graph: string;
  role: string;
  file: string;
  sha256: string;
  bytes: number;
  sourceBytes: number;
  /** bytes / sourceBytes (external data included on both sides). */
  ratio: number;
  externalData: FileEntry[];
  passes: PassReport[];
  validation?: GraphValidation;
  /** Why the graph was not validated, when it was not. */
  validationSkipped?: string;
}

/** The JSON report `samclip convert --json` prints. */
export interface ConversionReport {
  converter: string;
  bundle: string;
  out: string;
  variant: string;
  to: Precision;
  target: ConversionTarget;
  settings: ResolvedSettings;
  graphs: GraphConversionReport[];
  totals: { sourceBytes: number; bytes: number; ratio: number };
  passed: boolean;
  failures: string[];
}

/** The backend each target is validated on by default in Node (WebGPU validates on ORT's CPU kernels). */
export const DEFAULT_VALIDATION_BACKENDS: Readonly<Record<ConversionTarget, string>> = {
  'ort-node': 'ort-node',
  'ort-wasm': 'ort-wasm',
  'ort-webgpu': 'ort-node',
  tfjs: 'tfjs-cpu',
};

const VARIANT_DTYPE: Readonly<Record<Precision, VariantDType>> = { fp16: 'fp16', int8: 'int8', int4: 'int4', fp32: 'fp32' };
const DEFAULT_EXTERNAL_DATA_THRESHOLD = 1.8e9;
/** Initializers smaller than this stay inside the .onnx file even when the rest goes external. */
const EXTERNAL_MIN_BYTES = 1024;

function initializerBytes(model: Model): number {
  let total = 0;
  for (const init of model.graph.initializers) {
    if (init.data !== undefined && ArrayBuffer.isView(init.data)) total += init.data.byteLength;
  }
  return total;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Resolves every external-data reference of `model` into in-memory data. */
function loadExternal(model: Model, externalData: ReadonlyMap<string, Uint8Array>): void {
  if (externalData.size === 0) return;
  for (const init of model.graph.initializers) {
    if (init.data !== undefined || !init.external) continue;
    // Copy out of the shared file buffer so the buffer can be released with the model.
    init.data = initializerToTensor(init, externalData).data.slice();
    delete init.external;
  }
}

/**
 * Encodes `model`, moving large initializers into `dataPath` when the model would be too large for
 * one protobuf; returns the .onnx bytes and whether a data file was written.
 */
async function encodeWithExternalData(model: Model, dataPath: string, location: string, threshold: number): Promise<{ bytes: Uint8Array; external: boolean }> {
  if (initializerBytes(model) < threshold) return { bytes: encodeModel(model), external: false };
  await mkdir(dirname(dataPath), { recursive: true });
  const handle = await open(dataPath, 'w');
  try {
    let offset = 0;
    for (const init of model.graph.initializers) {
      if (init.data === undefined || !ArrayBuffer.isView(init.data) || init.data.byteLength < EXTERNAL_MIN_BYTES) continue;
      const raw = tensorDataToRawBytes(init.dtype, init.data);
      await handle.write(raw, 0, raw.byteLength, offset);
      init.external = { location, offset, length: raw.byteLength };
      delete init.data;
      offset += raw.byteLength;
    }
  } finally {
    await handle.close();
  }
  return { bytes: encodeModel(model), external: true };
}

function defaultVariantName(to: Precision, target: ConversionTarget): string {
  // "fp32" names the reference graphs, so a restructured fp32 variant always carries its target.
  return target === 'ort-node' && to !== 'fp32' ? to : `${to}-${target}`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export async function convertBundle(bundleDir: string, options: ConvertBundleOptions): Promise<ConversionReport> {
  const settings = resolveSettings(options);
  const source = resolve(bundleDir);
  const bundle = await openBundle(source);
  const manifest = JSON.parse(JSON.stringify(bundle.manifest)) as BundleManifest;
  const variantName = options.variant ?? defaultVariantName(settings.to, settings.target);
  if (variantName === 'fp32') throw new SamClipError('INVALID_ARGUMENT', 'The variant name "fp32" is reserved for the reference graphs; choose another name.', { variant: variantName });
  const graphNames = options.graphs ? [...options.graphs] : Object.keys(manifest.graphs).filter((g) => manifest.graphs[g]!.variants['fp32']);
  for (const graph of graphNames) {
    if (!manifest.graphs[graph]?.variants['fp32']) {
      throw new SamClipError('NOT_FOUND', `Graph "${graph}" has no fp32 variant to convert from (graphs: ${Object.keys(manifest.graphs).join(', ')}).`, { graph });
    }
  }
  const outDir = options.out === undefined ? source : resolve(options.out);
  const inPlace = outDir === source;
  const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  // In place: stage inside the bundle; elsewhere: build the whole output in a sibling, then swap it in.
  const staging = inPlace ? join(source, `.samclip-convert-${suffix}`) : `${outDir}.tmp-${suffix}`;
  const validation = options.validate === false ? undefined : {
          backends: options.validate?.backends ?? [DEFAULT_VALIDATION_BACKENDS[settings.target]],
          runs: options.validate?.runs ?? 1,
          against: options.validate?.against ?? 'stored',
        };
  const progress = (event: Omit<ConversionProgress, 'total'>) => options.onProgress?.({ ...event, total: graphNames.length });
  const textEmbeddings = validation ? await referenceTextEmbeddings(bundle) : undefined;

  const reports: GraphConversionReport[] = [];
  const failures: string[] = [];
  const staged: string[] = [];
  try {
    for (const [index, graph] of graphNames.entries()) {
      const entry = manifest.graphs[graph]!;
      const fp32 = entry.variants['fp32']!;
      progress({ phase: 'convert', graph, index, message: `converting ${graph} to ${settings.to} for ${settings.target}` });
      const file = `${dirname(fp32.file) === '.' ? '' : `${dirname(fp32.file)}/`}${graph}.${variantName}.onnx`;
      const dataFile = `${file}.data`;
      let model: Model | undefined = await bundle.readModel(graph, 'fp32');
      loadExternal(model, await bundle.readExternalData(graph, 'fp32'));
      const passes = convertModel(model, { ...options, onPass: (report) => progress({ phase: 'pass', graph, index, message: `${report.pass}: ${report.changed} changed` }) });
      progress({ phase: 'write', graph, index, message: `writing ${file}` });
      const encoded = await encodeWithExternalData(model, join(staging, ...dataFile.split('/')), basename(dataFile), options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD);
      model = undefined;
      await writeFileAtomic(join(staging, ...file.split('/')), encoded.bytes);
      staged.push(file);
      const graphEntry = await fileEntryFor(file, encoded.bytes);
      const externalData: FileEntry[] = [];
      let variantExternal: Map<string, Uint8Array> | undefined;
      if (encoded.external) {
        const data = await readFile(join(staging, ...dataFile.split('/')));
        externalData.push(await fileEntryFor(dataFile, data));
        staged.push(dataFile);
        variantExternal = new Map([[basename(dataFile), data]]);
      }
      const sourceBytes = fp32.bytes + (fp32.externalData ?? []).reduce((sum, e) => sum + e.bytes, 0);
      const bytes = graphEntry.bytes + externalData.reduce((sum, e) => sum + e.bytes, 0);
      const report: GraphConversionReport = { graph, role: entry.role, file, sha256: graphEntry.sha256, bytes, sourceBytes, ratio: bytes / sourceBytes, externalData, passes };

      if (!validation) report.validationSkipped = 'validation disabled';
      else if (!manifest.references?.graphs?.[graph]) report.validationSkipped = 'the bundle has no reference inputs for this graph';
      else {
        progress({ phase: 'validate', graph, index, message: `validating ${graph} on ${validation.backends.join(', ')}` });
        const feeds: Feeds = {};
        for (const { name, tensor } of await bundle.references().inputs(graph)) feeds[name] = tensor;
        // A bundle without stored outputs for this graph falls back to running the fp32 graph.
        const stored = validation.against === 'stored' ? await bundle.references().outputs(graph) : [];
        const reference =
          stored.length > 0
            ? { outputs: Object.fromEntries(stored.map(({ name, tensor }) => [name, tensor])) }
            : { model: await bundle.readGraph(graph, 'fp32'), externalData: await bundle.readExternalData(graph, 'fp32') };
        report.validation = await validateGraph({
          graph,
          reference,
          variant: { model: encoded.bytes, ...(variantExternal ? { externalData: variantExternal } : {}) },
          feeds,
          backends: validation.backends,
          runs: validation.runs,
          thresholds: thresholdsFor(graph, settings.to, options.thresholds),
          ...(textEmbeddings ? { textEmbeddings } : {}),
        });
        failures.push(...report.validation.failures);
      }
      reports.push(report);
      const variant: GraphVariant = {
        file,
        sha256: graphEntry.sha256,
        bytes: graphEntry.bytes,
        dtype: VARIANT_DTYPE[settings.to],
        target: settings.target,
        ...(externalData.length > 0 ? { externalData } : {}),
        provenance: { converter: CONVERTER_ID, from: 'fp32', sourceSha256: fp32.sha256, settings: settingsRecord(settings) },
      };
      entry.variants[variantName] = variant;
    }

    const sourceBytes = reports.reduce((sum, r) => sum + r.sourceBytes, 0);
    const bytes = reports.reduce((sum, r) => sum + r.bytes, 0);
    const conversion: ConversionReport = {
      converter: CONVERTER_ID,
      bundle: source,
      out: outDir,
      variant: variantName,
      to: settings.to,
      target: settings.target,
      settings,
      graphs: reports,
      totals: { sourceBytes, bytes, ratio: sourceBytes === 0 ? 0 : bytes / sourceBytes },
      passed: failures.length === 0,
      failures,
    };
    if (failures.length > 0) {
      throw new SamClipError(
        'CONVERSION',
        `The ${variantName} variant failed validation, so nothing was written:\n  ${failures.join('\n  ')}\nKeep more layers in float (exclusions), choose another precision, or relax the thresholds.`,
        { report: conversion },
      );
    }

    progress({ phase: 'commit', index: graphNames.length - 1, message: `writing ${variantName} into ${outDir}` });
    const checked = parseManifest(manifest);
    if (inPlace) {
      for (const file of staged) await rename(join(staging, ...file.split('/')), join(source, ...file.split('/')));
      await writeFileAtomic(join(source, 'samclip.json'), `${JSON.stringify(checked, null, 2)}\n`);
      await rm(staging, { recursive: true, force: true });
    } else {
      const stagedSet = new Set(staged);
      for (const { entry } of manifestFiles(checked)) {
        if (stagedSet.has(entry.file)) continue;
        const target = join(staging, ...entry.file.split('/'));
        await mkdir(dirname(target), { recursive: true });
        await copyFile(join(source, ...entry.file.split('/')), target);
      }
      await writeFileAtomic(join(staging, 'samclip.json'), `${JSON.stringify(checked, null, 2)}\n`);
      if (await exists(outDir)) {
        const old = `${outDir}.old-${suffix}`;
        await rename(outDir, old);
        await rename(staging, outDir);
        await rm(old, { recursive: true, force: true });
      } else {
        await mkdir(dirname(outDir), { recursive: true });
        await rename(staging, outDir);
      }
    }
    progress({ phase: 'done', index: graphNames.length - 1, message: `${variantName}: ${(conversion.totals.ratio * 100).toFixed(1)}% of the fp32 bytes` });
    return conversion;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Provenance settings as plain, stably ordered JSON. */
function settingsRecord(settings: ResolvedSettings): Record<string, unknown> {
  return JSON.parse(JSON.stringify(settings)) as Record<string, unknown>;
}

/** The fp32 text embeddings stored as the text encoder's reference output, if the bundle has them. */
async function referenceTextEmbeddings(bundle: Awaited<ReturnType<typeof openBundle>>): Promise<{ data: Float32Array; dim: number } | undefined> {
  const textGraph = Object.entries(bundle.manifest.graphs).find(([, entry]) => entry.role === 'text_encoder')?.[0];
  if (!textGraph || !bundle.manifest.references?.graphs?.[textGraph]) return undefined;
  const outputs = await bundle.references().outputs(textGraph);
  const embeds = outputs.find((o) => o.name === 'text_embeds');
  if (!embeds || embeds.tensor.dtype !== 'float32' || embeds.tensor.dims.length !== 2) return undefined;
  return { data: embeds.tensor.data as Float32Array, dim: embeds.tensor.dims[1]! };
}
