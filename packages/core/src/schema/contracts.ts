/**
 * Typed I/O contracts of the SAM-CLIP sub-graph roles (docs/bundle-format.md, "Roles and
 * contracts"). Dims are resolved from the bundle `config`; a graph passes when every contract
 * input and output is present with the contract's dtype and rank and no fixed dim contradicts it.
 * Symbolic or unknown graph dims are accepted anywhere: they promise nothing that the contract
 * could contradict (a dynamic-batch export still runs at batch 1).
 */
import { SamClipError } from '../errors.js';
import type { DType, Dim, Model, ValueInfo } from '../graph/types.js';
import type { ConfigDimKey, SamClipConfig } from './config.js';
import type { Role } from './roles.js';

export type ContractDim =
  | { readonly kind: 'fixed'; readonly value: number }
  | { readonly kind: 'config'; readonly key: ConfigDimKey; readonly symbol: string }
  | { readonly kind: 'dynamic'; readonly symbol: string; readonly allowed?: readonly number[] };

export interface TensorContract {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly ContractDim[];
}

export interface RoleContract {
  readonly role: Role;
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

const one: ContractDim = { kind: 'fixed', value: 1 };
const fixed = (value: number): ContractDim => ({ kind: 'fixed', value });
const cfg = (key: ConfigDimKey, symbol: string): ContractDim => ({ kind: 'config', key, symbol });
const dyn = (symbol: string, allowed?: readonly number[]): ContractDim =>
  allowed ? { kind: 'dynamic', symbol, allowed } : { kind: 'dynamic', symbol };

const S = cfg('imageSize', 'S');
const G = cfg('gridSize', 'G');
const D = cfg('backboneDim', 'D');
const C = cfg('embedDim', 'C');
const M = cfg('maskInputSize', 'M');
const E = cfg('textEmbedDim', 'E');
const L = cfg('contextLength', 'L');
const R = cfg('clipImageSize', 'R');
const g = cfg('clipGridSize', 'g');
const N = dyn('N');
const B = dyn('B');
// Meta's export returns 4 masks (single-mask output first, then three multimask outputs) or 1.
const K = dyn('K', [1, 4]);
const H = dyn('H');
const W = dyn('W');

const f32 = (name: string, shape: ContractDim[]): TensorContract => ({ name, dtype: 'float32', shape });

const pixelValues = f32('pixel_values', [one, fixed(3), S, S]);
const backboneFeatures = f32('backbone_features', [one, G, G, D]);
const imageEmbeddings = f32('image_embeddings', [one, C, G, G]);

export const ROLE_CONTRACTS: Readonly<Record<Role, RoleContract>> = {
  backbone: { role: 'backbone', inputs: [pixelValues], outputs: [backboneFeatures] },
  sam_neck: { role: 'sam_neck', inputs: [backboneFeatures], outputs: [imageEmbeddings] },
  sam_encoder: { role: 'sam_encoder', inputs: [pixelValues], outputs: [imageEmbeddings] },
  prompt_decoder: {
    role: 'prompt_decoder',
    inputs: [
      imageEmbeddings,
      f32('point_coords', [one, N, fixed(2)]),
      f32('point_labels', [one, N]),
      f32('mask_input', [one, one, M, M]),
      f32('has_mask_input', [one]),
      f32('orig_im_size', [fixed(2)]),
    ],
    outputs: [f32('masks', [one, K, H, W]), f32('iou_predictions', [one, K]), f32('low_res_masks', [one, K, M, M])],
  },
  clip_head: {
    role: 'clip_head',
    inputs: [backboneFeatures],
    outputs: [f32('image_embeds', [one, E]), f32('dense_embeds', [one, G, G, E])],
  },
  clip_image_encoder: {
    role: 'clip_image_encoder',
    inputs: [f32('pixel_values', [one, fixed(3), R, R])],
    outputs: [f32('image_embeds', [one, E]), f32('dense_embeds', [one, g, g, E])],
  },
  text_encoder: {
    role: 'text_encoder',
    inputs: [{ name: 'input_ids', dtype: 'int64', shape: [B, L] }],
    outputs: [f32('text_embeds', [B, E])],
  },
};

/** The config keys a role's contract resolves its dims from. */
export function contractConfigKeys(role: Role): ConfigDimKey[] {
  const keys = new Set<ConfigDimKey>();
  const contract = ROLE_CONTRACTS[role];
  for (const tensor of [...contract.inputs, ...contract.outputs]) {
    for (const dim of tensor.shape) if (dim.kind === 'config') keys.add(dim.key);
  }
  return [...keys];
}

export type ConfigBindings = Partial<Record<ConfigDimKey, number>>;

export interface ContractIssue {
  readonly io: 'input' | 'output';
  readonly tensor: string;
  /** One line, starting with the tensor, e.g. `output "masks" has dtype float16, contract needs float32`. */
  readonly message: string;
}

export interface ContractCheck {
  readonly issues: readonly ContractIssue[];
  /** Config dims as given, plus those the graph fixed where the config was silent. */
  readonly config: ConfigBindings;
  /** Values the graph fixes for dynamic dims (N, B, K, H, W). */
  readonly dynamic: Readonly<Record<string, number>>;
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function formatContractShape(shape: readonly ContractDim[], config: ConfigBindings): string {
  const parts = shape.map((dim) => {
    if (dim.kind === 'fixed') return String(dim.value);
    if (dim.kind === 'config') return String(config[dim.key] ?? dim.symbol);
    return dim.symbol;
  });
  return `[${parts.join(',')}]`;
}

function configBindings(config: SamClipConfig): ConfigBindings {
  const out: ConfigBindings = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'number' && Number.isInteger(value)) out[key as ConfigDimKey] = value;
  }
  return out;
}

interface Binding {
  value: number;
  from: string;
}

/**
 * Checks a model against a role contract and reports every issue (no throw). Config keys the
 * config leaves out are bound from the first tensor that fixes them, so the same pass infers
 * config for `samclip bundle`.
 */
export function checkGraphContract(role: Role, model: Model, config: SamClipConfig = {}): ContractCheck {
  const contract = ROLE_CONTRACTS[role];
  const given = configBindings(config);
  const configBound = new Map<ConfigDimKey, Binding>();
  for (const [key, value] of Object.entries(given)) configBound.set(key as ConfigDimKey, { value, from: 'config' });
  const dynamicBound = new Map<string, Binding>();
  const issues: ContractIssue[] = [];

  const initializerNames = new Set(model.graph.initializers.map((init) => init.name));
  // IR < 4 lists initializers among graph inputs; they are weights, not inputs a caller feeds.
  const graphInputs = model.graph.inputs.filter((vi) => !initializerNames.has(vi.name));
  const currentConfig = (): ConfigBindings => Object.fromEntries([...configBound].map(([k, b]) => [k, b.value]));

  const checkTensor = (io: 'input' | 'output', tensor: TensorContract, values: readonly ValueInfo[]): void => {
    const issue = (message: string): void => {
      issues.push({ io, tensor: tensor.name, message: `${io} "${tensor.name}" ${message}` });
    };
    const info = values.find((vi) => vi.name === tensor.name);
    if (!info) {
      issue(`is missing; the graph's ${io}s are [${values.map((vi) => vi.name).join(', ')}]`);
      return;
    }
    const type = info.type;
    if (!type) {
      issue(`has no type information, contract needs ${tensor.dtype} ${formatContractShape(tensor.shape, currentConfig())}`);
      return;
    }
    if (type.kind !== 'tensor') {
      issue(`is a ${type.kind}, contract needs a ${tensor.dtype} tensor`);
      return;
    }
    if (type.elemType !== tensor.dtype) {
      issue(`has dtype ${type.elemType}, contract needs ${tensor.dtype}`);
      return;
    }
    const shape = type.shape;
    if (!shape) {
      // Shape inference may leave an output's rank unknown; the engine still reports it at run time.
      if (io === 'input') issue(`has unknown rank, contract needs ${formatContractShape(tensor.shape, currentConfig())}`);
      return;
    }
    const newConfig = new Map<ConfigDimKey, Binding>();
    const newDynamic = new Map<string, Binding>();
    const mismatch = (why?: string): void => {
      const tentative = { ...currentConfig(), ...Object.fromEntries([...newConfig].map(([k, b]) => [k, b.value])) };
      const needs = formatContractShape(tensor.shape, tentative);
      issue(`has shape ${formatShape(shape)}, contract needs ${needs}${why ? ` (${why})` : ''}`);
    };
    if (shape.length !== tensor.shape.length) {
      mismatch();
      return;
    }
    const source = `${io} "${tensor.name}"`;
    for (let i = 0; i < shape.length; i++) {
      const actual = shape[i];
      const want = tensor.shape[i]!;
      if (typeof actual !== 'number' || actual < 0) continue;
      if (want.kind === 'fixed') {
        if (actual !== want.value) return mismatch();
      } else if (want.kind === 'config') {
        const bound = configBound.get(want.key) ?? newConfig.get(want.key);
        if (!bound) newConfig.set(want.key, { value: actual, from: source });
        else if (bound.value !== actual) {
          return mismatch(bound.from === 'config' || bound.from === source ? undefined : `${want.symbol} = ${bound.value} from ${bound.from}`);
        }
      } else {
        if (want.allowed && !want.allowed.includes(actual)) {
          return mismatch(`${want.symbol} must be one of ${want.allowed.join(', ')}`);
        }
        const bound = dynamicBound.get(want.symbol) ?? newDynamic.get(want.symbol);
        if (!bound) newDynamic.set(want.symbol, { value: actual, from: source });
        else if (bound.value !== actual) {
          return mismatch(bound.from === source ? undefined : `${want.symbol} = ${bound.value} from ${bound.from}`);
        }
      }
    }
    for (const [key, binding] of newConfig) configBound.set(key, binding);
    for (const [key, binding] of newDynamic) dynamicBound.set(key, binding);
  };

  for (const tensor of contract.inputs) checkTensor('input', tensor, graphInputs);
  for (const tensor of contract.outputs) checkTensor('output', tensor, model.graph.outputs);
  const expected = new Set(contract.inputs.map((t) => t.name));
  for (const input of graphInputs) {
    if (!expected.has(input.name)) {
      issues.push({
        io: 'input',
        tensor: input.name,
        message: `input "${input.name}" is not part of the ${role} contract, whose inputs are [${[...expected].join(', ')}]`,
      });
    }
  }
  return {
    issues,
    config: currentConfig(),
    dynamic: Object.fromEntries([...dynamicBound].map(([k, b]) => [k, b.value])),
  };
}

function contractError(graphName: string, role: Role, issues: readonly ContractIssue[]): SamClipError {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more contract issue${issues.length > 2 ? 's' : ''})` : '';
  return new SamClipError('CONTRACT', `graph "${graphName}": ${first.message}${more}`, {
    graph: graphName,
    role,
    tensor: first.tensor,
    issues: issues.map((i) => i.message),
  });
}

/**
 * Throws SamClipError('CONTRACT') naming the graph, the tensor and the mismatch when `model`
 * contradicts the contract of `role`; MANIFEST_INVALID when `config` lacks a dim the contract needs.
 */
export function validateGraphContract(graphName: string, role: Role, model: Model, config: SamClipConfig): void {
  const missing = contractConfigKeys(role).filter((key) => typeof config[key] !== 'number');
  if (missing.length > 0) {
    throw new SamClipError(
      'MANIFEST_INVALID',
      `graph "${graphName}" (role ${role}) needs config ${missing.join(', ')}; add ${missing.length > 1 ? 'them' : 'it'} to samclip.json "config"`,
      { graph: graphName, role, missing },
    );
  }
  const check = checkGraphContract(role, model, config);
  if (check.issues.length > 0) throw contractError(graphName, role, check.issues);
}

/**
 * The config dims `model` fixes for its role, merged over `config`; throws CONTRACT when the graph
 * contradicts the contract or the given config. Keys the graph leaves symbolic stay absent.
 */
export function inferConfigFromModel(graphName: string, role: Role, model: Model, config: SamClipConfig = {}): ConfigBindings {
  const check = checkGraphContract(role, model, config);
  if (check.issues.length > 0) throw contractError(graphName, role, check.issues);
  return check.config;
}
