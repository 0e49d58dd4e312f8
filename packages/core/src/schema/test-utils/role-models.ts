/**
 * Small models that follow (or deliberately break) a role contract, for schema, bundle and CLI
 * tests. They are not meant to run: each output is an Identity of one weight.
 */
import type { DType, Dim, Model, ValueInfo } from '../../graph/types.js';
import { ROLE_CONTRACTS } from '../contracts.js';
import type { SamClipConfig } from '../config.js';
import type { Role } from '../roles.js';

export const TINY_CONFIG: SamClipConfig = {
  imageSize: 64,
  patchSize: 16,
  gridSize: 4,
  backboneDim: 32,
  embedDim: 16,
  maskInputSize: 16,
  textEmbedDim: 24,
  contextLength: 77,
  vocabSize: 49408,
  clipImageSize: 32,
  clipGridSize: 2,
  logitScale: 100,
};

export interface TensorOverride {
  dtype?: DType;
  shape?: Dim[] | null;
}

export interface RoleModelOptions {
  /** Replace a contract tensor's dtype or shape (`shape: null` leaves the rank unknown). */
  override?: Record<string, TensorOverride>;
  /** Contract tensors to leave out. */
  omit?: string[];
  extraInputs?: ValueInfo[];
  extraOutputs?: ValueInfo[];
  /** Op type of the node producing each output (default Identity). */
  opType?: string;
  /** Elements in the single weight initializer (default 16). */
  weightElements?: number;
}

export function roleModel(role: Role, config: SamClipConfig = TINY_CONFIG, options: RoleModelOptions = {}): Model {
  const contract = ROLE_CONTRACTS[role];
  const valueInfo = (name: string, dtype: DType, shape: Dim[]): ValueInfo => {
    const override = options.override?.[name];
    const finalShape = override?.shape === null ? undefined : (override?.shape ?? shape);
    return {
      name,
      type: finalShape ? { kind: 'tensor', elemType: override?.dtype ?? dtype, shape: finalShape } : { kind: 'tensor', elemType: override?.dtype ?? dtype },
    };
  };
  const resolve = (tensor: (typeof contract.inputs)[number]): ValueInfo =>
    valueInfo(
      tensor.name,
      tensor.dtype,
      tensor.shape.map((dim) => {
        if (dim.kind === 'fixed') return dim.value;
        if (dim.kind === 'config') return config[dim.key] as number;
        return dim.symbol === 'K' ? 4 : dim.symbol;
      }),
    );
  const omit = new Set(options.omit ?? []);
  const inputs = [...contract.inputs.filter((t) => !omit.has(t.name)).map(resolve), ...(options.extraInputs ?? [])];
  const outputs = [...contract.outputs.filter((t) => !omit.has(t.name)).map(resolve), ...(options.extraOutputs ?? [])];
  const elements = options.weightElements ?? 16;
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'samclip-tests',
    metadataProps: [],
    graph: {
      name: role,
      nodes: outputs.map((output, i) => ({
        name: `node_${i}`,
        opType: options.opType ?? 'Identity',
        domain: '',
        inputs: ['weight'],
        outputs: [output.name],
        attributes: [],
      })),
      initializers: [{ name: 'weight', dtype: 'float32', dims: [elements], data: new Float32Array(elements).fill(0.5) }],
      inputs,
      outputs,
      valueInfo: [],
    },
  };
}
