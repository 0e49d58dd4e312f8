/**
 * A JSON-ready description of a bundle: what `samclip inspect` prints, usable by apps too.
 */
import type { BackendRegistry } from '../backend/registry.js';
import type { DType, Dim, Graph, Model, OpsetImport } from '../graph/types.js';
import type { SamClipConfig } from '../schema/config.js';
import type { BundleKind, Role } from '../schema/roles.js';
import type { Bundle } from './bundle.js';

export interface TensorSummary {
  name: string;
  dtype?: DType;
  shape?: Dim[];
}

export interface VariantBackendFit {
  name: string;
  /** true: every op is supported; false: some are missing; null: the backend does not declare its ops. */
  runs: boolean | null;
  missingOps?: string[];
}

export interface VariantReport {
  name: string;
  file: string;
  dtype: string;
  target?: string;
  /** The graph file plus its external data. */
  bytes: number;
  /** Sum of initializer element counts. */
  parameters: number;
  opsets: OpsetImport[];
  opTypes: string[];
  backends: VariantBackendFit[];
}

export interface GraphReport {
  name: string;
  role: Role;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  variants: VariantReport[];
}

export interface BundleReport {
  name: string;
  kind: BundleKind;
  location: string;
  schemaVersion: number;
  config: SamClipConfig;
  graphs: GraphReport[];
  tokenizer?: { file: string; bytes: number };
  totalBytes: number;
}

/** Operator types used by a graph and its sub-graphs, `domain::Op` outside the default domain. */
export function graphOpTypes(graph: Graph, into = new Set<string>()): Set<string> {
  for (const node of graph.nodes) {
    into.add(node.domain === '' || node.domain === 'ai.onnx' ? node.opType : `${node.domain}::${node.opType}`);
    for (const attribute of node.attributes) {
      const value = attribute.value;
      if (value.type === 'graph') graphOpTypes(value.value, into);
      else if (value.type === 'graphs') for (const sub of value.value) graphOpTypes(sub, into);
    }
  }
  return into;
}

/** Sum of the element counts of the model's initializers. */
export function countParameters(model: Model): number {
  let total = 0;
  for (const init of model.graph.initializers) total += init.dims.reduce((product, dim) => product * dim, 1);
  return total;
}

function summarize(values: Graph['inputs'], initializers: ReadonlySet<string>): TensorSummary[] {
  return values
    .filter((vi) => !initializers.has(vi.name))
    .map((vi) => {
      const type = vi.type;
      if (type?.kind !== 'tensor') return { name: vi.name };
      return type.shape ? { name: vi.name, dtype: type.elemType, shape: type.shape } : { name: vi.name, dtype: type.elemType };
    });
}

export interface InspectOptions {
  /** Backends whose declared ops are compared with each variant's (default: none). */
  registry?: BackendRegistry;
}

/** Reads (verifying) and decodes every variant of every graph, checking each against its contract. */
export async function inspectBundle(bundle: Bundle, options: InspectOptions = {}): Promise<BundleReport> {
  const backends = (options.registry?.list() ?? []).map(({ name }) => ({ name, ops: options.registry?.get(name)?.supportedOps?.() }));
  const graphs: GraphReport[] = [];
  let totalBytes = 0;
  for (const name of bundle.graphNames()) {
    const entry = bundle.graph(name);
    const variants: VariantReport[] = [];
    let io: Pick<GraphReport, 'inputs' | 'outputs'> | undefined;
    for (const variantName of bundle.variants(name)) {
      const variant = bundle.variant(name, variantName);
      const model = await bundle.readModel(name, variantName);
      const initializers = new Set(model.graph.initializers.map((init) => init.name));
      io ??= { inputs: summarize(model.graph.inputs, initializers), outputs: summarize(model.graph.outputs, new Set()) };
      const opTypes = [...graphOpTypes(model.graph)].sort();
      const bytes = variant.bytes + (variant.externalData ?? []).reduce((sum, ext) => sum + ext.bytes, 0);
      totalBytes += bytes;
      variants.push({
        name: variantName,
        file: variant.file,
        dtype: variant.dtype,
        ...(variant.target ? { target: variant.target } : {}),
        bytes,
        parameters: countParameters(model),
        opsets: model.opsetImports.map(({ domain, version }) => ({ domain, version })),
        opTypes,
        backends: backends.map(({ name: backendName, ops }) => {
          if (!ops) return { name: backendName, runs: null };
          const missingOps = opTypes.filter((op) => !ops.has(op));
          return missingOps.length > 0 ? { name: backendName, runs: false, missingOps } : { name: backendName, runs: true };
        }),
      });
    }
    graphs.push({ name, role: entry.role, inputs: io?.inputs ?? [], outputs: io?.outputs ?? [], variants });
  }
  const tokenizer = bundle.manifest.tokenizer;
  if (tokenizer) {
    await bundle.readTokenizerVocab();
    totalBytes += tokenizer.vocab.bytes;
  }
  return {
    name: bundle.name,
    kind: bundle.kind,
    location: bundle.describe(),
    schemaVersion: bundle.manifest.schemaVersion,
    config: bundle.config,
    graphs,
    ...(tokenizer ? { tokenizer: { file: tokenizer.vocab.file, bytes: tokenizer.vocab.bytes } } : {}),
    totalBytes,
  };
}
