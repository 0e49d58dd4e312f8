/**
 * samclip.json: types, the JSON schema (ajv 8, strict) and the checks a schema cannot express
 * (roles a kind needs, config dims contracts need, file paths). See docs/bundle-format.md.
 */
import AjvModule from 'ajv';
import type { ErrorObject } from 'ajv';
import { SamClipError } from '../errors.js';
import { contractConfigKeys } from '../schema/contracts.js';
import type { SamClipConfig } from '../schema/config.js';
import { BUNDLE_KINDS, KIND_ROLES, ROLES, kindHasSam } from '../schema/roles.js';
import type { BundleKind, Role } from '../schema/roles.js';
import { bundlePathProblem } from './paths.js';

export const MANIFEST_FILE = 'samclip.json';
export const MANIFEST_SCHEMA_VERSION = 2;

export interface FileEntry {
  /** Relative to the bundle root, `/`-separated, no `..`. */
  file: string;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
  bytes: number;
}

export const VARIANT_DTYPES = ['fp32', 'fp16', 'bf16', 'int8', 'uint8', 'int4', 'uint4', 'mixed'] as const;
export type VariantDType = (typeof VARIANT_DTYPES)[number];

export interface GraphVariant extends FileEntry {
  /** The weight precision of this variant. */
  dtype: VariantDType;
  /** The backend this variant was converted for (a backend name such as `ort-node`). */
  target?: string;
  /** ONNX external-data files; each lies in the graph file's directory (or below), named by its path from there. */
  externalData?: FileEntry[];
  provenance?: Record<string, unknown>;
}

export interface GraphEntry {
  role: Role;
  variants: Record<string, GraphVariant>;
  /** Config overrides for this graph only (for example a backbone at a second resolution). */
  config?: SamClipConfig;
}

export type ResizeRule = 'bilinear' | 'bilinear-antialias' | 'bicubic' | 'bicubic-antialias';

export interface SamPreprocess {
  longestSide: number;
  mean: [number, number, number];
  std: [number, number, number];
  resize: ResizeRule;
  pad: 'bottom-right';
}

export interface ClipPreprocess {
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
  resize: ResizeRule;
  /** `center`: shortest side to `size`, then a centre crop; `none`: squash to size². */
  crop: 'center' | 'none';
}

export interface TokenizerEntry {
  type: 'clip-bpe';
  vocab: FileEntry;
  contextLength: number;
  startToken: number;
  endToken: number;
  padToken: number;
}

export interface GraphReferences {
  inputs: FileEntry[];
  outputs: FileEntry[];
}

export interface ReferencesEntry {
  graphs?: Record<string, GraphReferences>;
  /** references/tasks.json. */
  tasks?: FileEntry;
  /** Every other reference file (the tensors tasks.json names), so each can be verified. */
  files?: FileEntry[];
}

export interface BundleManifest {
  schemaVersion: number;
  name: string;
  description?: string;
  kind: BundleKind;
  config: SamClipConfig;
  graphs: Record<string, GraphEntry>;
  preprocess: { sam?: SamPreprocess; clip?: ClipPreprocess };
  tokenizer?: TokenizerEntry;
  templates?: Record<string, string[]>;
  references?: ReferencesEntry;
  provenance?: Record<string, unknown>;
}

const positiveInt = { type: 'integer', minimum: 1 } as const;
const rgb = { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 } as const;
const resize = { enum: ['bilinear', 'bilinear-antialias', 'bicubic', 'bicubic-antialias'] } as const;
const fileProps = {
  file: { type: 'string', minLength: 1 },
  sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  bytes: { type: 'integer', minimum: 0 },
} as const;
const configProperties = {
  imageSize: positiveInt,
  patchSize: positiveInt,
  gridSize: positiveInt,
  backboneDim: positiveInt,
  embedDim: positiveInt,
  maskInputSize: positiveInt,
  textEmbedDim: positiveInt,
  contextLength: positiveInt,
  vocabSize: positiveInt,
  clipImageSize: positiveInt,
  clipGridSize: positiveInt,
  logitScale: { type: 'number', exclusiveMinimum: 0 },
} as const;

/** JSON schema of samclip.json, version 1. Closed except under `config` and `provenance`. */
export const MANIFEST_JSON_SCHEMA = {
  $id: 'https://samclip.dev/schema/samclip.v1.json',
  type: 'object',
  required: ['schemaVersion', 'name', 'kind', 'config', 'graphs', 'preprocess'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: MANIFEST_SCHEMA_VERSION },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    kind: { enum: [...BUNDLE_KINDS] },
    config: { $ref: '#/$defs/config' },
    graphs: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['role', 'variants'],
        additionalProperties: false,
        properties: {
          role: { enum: [...ROLES] },
          config: { $ref: '#/$defs/config' },
          variants: {
            type: 'object',
            minProperties: 1,
            propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
            additionalProperties: {
              type: 'object',
              required: ['file', 'sha256', 'bytes', 'dtype'],
              additionalProperties: false,
              properties: {
                ...fileProps,
                dtype: { enum: [...VARIANT_DTYPES] },
                target: { type: 'string', minLength: 1 },
                externalData: { type: 'array', items: { $ref: '#/$defs/file' } },
                provenance: { type: 'object' },
              },
            },
          },
        },
      },
    },
    preprocess: {
      type: 'object',
      additionalProperties: false,
      properties: {
        sam: {
          type: 'object',
          required: ['longestSide', 'mean', 'std', 'resize', 'pad'],
          additionalProperties: false,
          properties: { longestSide: positiveInt, mean: rgb, std: rgb, resize, pad: { const: 'bottom-right' } },
        },
        clip: {
          type: 'object',
          required: ['size', 'mean', 'std', 'resize', 'crop'],
          additionalProperties: false,
          properties: { size: positiveInt, mean: rgb, std: rgb, resize, crop: { enum: ['center', 'none'] } },
        },
      },
    },
    tokenizer: {
      type: 'object',
      required: ['type', 'vocab', 'contextLength', 'startToken', 'endToken', 'padToken'],
      additionalProperties: false,
      properties: {
        type: { const: 'clip-bpe' },
        vocab: { $ref: '#/$defs/file' },
        contextLength: positiveInt,
        startToken: { type: 'integer', minimum: 0 },
        endToken: { type: 'integer', minimum: 0 },
        padToken: { type: 'integer', minimum: 0 },
      },
    },
    templates: {
      type: 'object',
      additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', pattern: '\\{\\}' } },
    },
    references: {
      type: 'object',
      additionalProperties: false,
      properties: {
        graphs: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['inputs', 'outputs'],
            additionalProperties: false,
            properties: {
              inputs: { type: 'array', items: { $ref: '#/$defs/file' } },
              outputs: { type: 'array', items: { $ref: '#/$defs/file' } },
            },
          },
        },
        tasks: { $ref: '#/$defs/file' },
        files: { type: 'array', items: { $ref: '#/$defs/file' } },
      },
    },
    provenance: { type: 'object' },
  },
  $defs: {
    file: { type: 'object', required: ['file', 'sha256', 'bytes'], additionalProperties: false, properties: fileProps },
    config: { type: 'object', properties: configProperties },
  },
} as const;

// ajv is CommonJS: Node's ESM loader exposes only module.exports, whose `default` is the class everywhere.
const Ajv = AjvModule.default;
type Ajv = InstanceType<typeof Ajv>;

let compiled: ReturnType<Ajv['compile']> | undefined;

function validator(): ReturnType<Ajv['compile']> {
  // Compiled on first use: ajv generates code, which apps that never load a bundle should not pay for.
  compiled ??= new Ajv({ strict: true, allErrors: true, allowUnionTypes: false }).compile(MANIFEST_JSON_SCHEMA);
  return compiled;
}

function formatAjvError(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'samclip.json' : `samclip.json ${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return `${where} has unknown key "${String(params['additionalProperty'])}"`;
  if (error.keyword === 'required') return `${where} lacks required key "${String(params['missingProperty'])}"`;
  if (error.keyword === 'enum') return `${where} ${error.message ?? 'is invalid'}: ${JSON.stringify(params['allowedValues'])}`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/**
 * Upgrades a manifest of version v to v + 1. A change to the format adds the step from the old
 * version here and bumps MANIFEST_SCHEMA_VERSION.
 */
export type ManifestMigration = (manifest: Record<string, unknown>) => Record<string, unknown>;
export const MANIFEST_MIGRATIONS: Readonly<Record<number, ManifestMigration>> = {
  // Version 2 lists the task reference tensors (references/tasks/*.pb) in `references.files`, so
  // they are verified like every other file. Version 1 did not list them: its bundles still load,
  // but their task tensors stay unreadable (the loader reads only files with a manifest hash)
  // until the bundle is re-exported.
  1: (manifest) => {
    const references = manifest['references'];
    if (typeof references !== 'object' || references === null || Array.isArray(references)) return manifest;
    const refs = references as Record<string, unknown>;
    if (refs['tasks'] === undefined || refs['files'] !== undefined) return manifest;
    return { ...manifest, references: { ...refs, files: [] } };
  },
};

/** Brings a parsed manifest to the current schema version; refuses newer versions with MANIFEST_VERSION. */
export function migrateManifest(
  raw: unknown,
  migrations: Readonly<Record<number, ManifestMigration>> = MANIFEST_MIGRATIONS,
  currentVersion = MANIFEST_SCHEMA_VERSION,
): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SamClipError('MANIFEST_INVALID', 'samclip.json must hold a JSON object');
  }
  let manifest = raw as Record<string, unknown>;
  const version = manifest['schemaVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new SamClipError('MANIFEST_INVALID', `samclip.json "schemaVersion" must be a positive integer, got ${JSON.stringify(version)}`);
  }
  if (version > currentVersion) {
    throw new SamClipError(
      'MANIFEST_VERSION',
      `samclip.json has schemaVersion ${version}, but this samclip reads up to version ${currentVersion}; upgrade @samclip/core`,
      { schemaVersion: version, supported: currentVersion },
    );
  }
  for (let v = version; v < currentVersion; v++) {
    const step = migrations[v];
    if (!step) {
      throw new SamClipError('MANIFEST_VERSION', `samclip.json schemaVersion ${v} is no longer supported; re-export the bundle`, {
        schemaVersion: v,
      });
    }
    manifest = { ...step(manifest), schemaVersion: v + 1 };
  }
  return manifest;
}

function invalid(message: string, details: Record<string, unknown> = {}): SamClipError {
  return new SamClipError('MANIFEST_INVALID', message, details);
}

/** Every file entry the manifest names, with where it is named (for messages). */
export function manifestFiles(manifest: BundleManifest): Array<{ entry: FileEntry; where: string }> {
  const files: Array<{ entry: FileEntry; where: string }> = [];
  for (const [graph, entry] of Object.entries(manifest.graphs)) {
    for (const [variant, v] of Object.entries(entry.variants)) {
      files.push({ entry: v, where: `graphs.${graph}.variants.${variant}` });
      for (const ext of v.externalData ?? []) files.push({ entry: ext, where: `graphs.${graph}.variants.${variant}.externalData` });
    }
  }
  if (manifest.tokenizer) files.push({ entry: manifest.tokenizer.vocab, where: 'tokenizer.vocab' });
  const refs = manifest.references;
  for (const [graph, r] of Object.entries(refs?.graphs ?? {})) {
    for (const f of r.inputs) files.push({ entry: f, where: `references.graphs.${graph}.inputs` });
    for (const f of r.outputs) files.push({ entry: f, where: `references.graphs.${graph}.outputs` });
  }
  if (refs?.tasks) files.push({ entry: refs.tasks, where: 'references.tasks' });
  for (const f of refs?.files ?? []) files.push({ entry: f, where: 'references.files' });
  return files;
}

/** The directory part of a bundle path (`graphs/a.onnx` → `graphs`; `a.onnx` → ``). */
export function bundleDirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function checkSemantics(manifest: BundleManifest): void {
  const kind = manifest.kind;
  const allowed = KIND_ROLES[kind];
  const present = new Set<Role>();
  for (const [name, graph] of Object.entries(manifest.graphs)) {
    if (!allowed.includes(graph.role)) {
      throw invalid(`graph "${name}" has role ${graph.role}, which a ${kind} bundle does not use (roles: ${allowed.join(', ')})`, {
        graph: name,
      });
    }
    present.add(graph.role);
    const config = { ...manifest.config, ...graph.config };
    const missing = contractConfigKeys(graph.role).filter((key) => typeof config[key] !== 'number');
    if (missing.length > 0) {
      throw invalid(`graph "${name}" (role ${graph.role}) needs config ${missing.join(', ')}; add to samclip.json "config"`, {
        graph: name,
        missing,
      });
    }
    for (const [variantName, variant] of Object.entries(graph.variants)) {
      const base = bundleDirname(variant.file);
      for (const ext of variant.externalData ?? []) {
        if (base !== '' && !ext.file.startsWith(`${base}/`)) {
          throw invalid(`graphs.${name}.variants.${variantName}.externalData "${ext.file}" must lie under "${base}/", beside its graph file`);
        }
      }
    }
  }
  const missingRoles = allowed.filter((role) => !present.has(role));
  if (missingRoles.length > 0) {
    throw invalid(`a ${kind} bundle needs graphs for roles ${missingRoles.join(', ')}; samclip.json has none`, { missingRoles });
  }
  if (kindHasSam(kind) && !manifest.preprocess.sam) throw invalid(`a ${kind} bundle needs preprocess.sam in samclip.json`);
  if (present.has('clip_image_encoder') && !manifest.preprocess.clip) {
    throw invalid(`a ${kind} bundle needs preprocess.clip in samclip.json`);
  }
  if (present.has('text_encoder') && !manifest.tokenizer) {
    throw invalid(`a ${kind} bundle has a text encoder and needs "tokenizer" in samclip.json`);
  }
  const tokenizer = manifest.tokenizer;
  if (tokenizer && typeof manifest.config.contextLength === 'number' && tokenizer.contextLength !== manifest.config.contextLength) {
    throw invalid(`tokenizer.contextLength is ${tokenizer.contextLength} but config.contextLength is ${manifest.config.contextLength}; they must agree`);
  }
  if (manifest.references?.tasks && !manifest.references.files) {
    throw invalid('references.tasks is set but references.files is missing: list every tensor references/tasks.json names there (schema version 2)');
  }
  for (const graph of Object.keys(manifest.references?.graphs ?? {})) {
    if (!manifest.graphs[graph]) throw invalid(`references.graphs names graph "${graph}", which samclip.json does not define`, { graph });
  }
  const seen = new Map<string, string>();
  for (const { entry, where } of manifestFiles(manifest)) {
    const problem = bundlePathProblem(entry.file);
    if (problem) throw invalid(`${where}: file "${entry.file}" ${problem}`, { file: entry.file });
    const earlier = seen.get(entry.file);
    if (earlier !== undefined && earlier !== entry.sha256) {
      throw invalid(`${where}: file "${entry.file}" is listed twice with different sha256`, { file: entry.file });
    }
    seen.set(entry.file, entry.sha256);
  }
}

/**
 * Parses and validates samclip.json (bytes, text or an already parsed value): migrates older
 * versions, refuses newer ones (MANIFEST_VERSION), and throws MANIFEST_INVALID naming the first
 * problems otherwise.
 */
export function parseManifest(input: Uint8Array | string | unknown): BundleManifest {
  let raw: unknown = input;
  if (input instanceof Uint8Array || typeof input === 'string') {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new SamClipError('MANIFEST_INVALID', `samclip.json is not valid JSON: ${(error as Error).message}`, {}, { cause: error });
    }
  }
  const migrated = migrateManifest(raw);
  const validate = validator();
  if (!validate(migrated)) {
    const errors = (validate.errors ?? []).map(formatAjvError);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    throw invalid(`${errors[0] ?? 'samclip.json is invalid'}${more}`, { errors });
  }
  const manifest = migrated as unknown as BundleManifest;
  checkSemantics(manifest);
  return manifest;
}
