/**
 * Compiles a model once per session: topological order, a check that every op has a kernel,
 * constant folding (initializer-only subgraphs, and Shape/Size of statically known shapes),
 * static shape inference, and a dispose plan freeing each intermediate after its last use.
 */
import { SamClipError } from '@samclip/core';
import type { DType, Model, Node } from '@samclip/core';
import { StaticShapeContext } from '../kernels/context.js';
import type { StaticInfo } from '../kernels/context.js';
import { executeNode } from '../kernels/execute.js';
import type { ExecutionEnv } from '../kernels/execute.js';
import { opKey } from '../kernels/registry.js';
import type { KernelRegistry } from '../kernels/registry.js';
import type { Kernel } from '../kernels/types.js';
import { initializerTensor } from '../runtime/initializer.js';
import { HostReadPending, disposeValue, hostValue } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import { allNodes, withCaptures } from './captures.js';
import { decomposeFusedOps } from './decompose.js';
import { optimizeLayout } from './layout.js';

export interface PlannedStep {
  node: Node;
  kernel: Kernel;
  /** Values no later step reads: freed right after this step. */
  release: string[];
}

export interface GraphInputInfo {
  name: string;
  dtype: DType;
  /** Dims as declared (symbolic dims as strings, unknown as null); undefined when even the rank is unknown. */
  declared: ReadonlyArray<number | string | null> | undefined;
  /** Static dims the plan relies on (declared, or pinned by the caller); a feed must match them. */
  pinned?: readonly number[];
}

export interface ExecutionPlan {
  inputs: GraphInputInfo[];
  outputs: Array<{ name: string; dtype?: DType; dims?: ReadonlyArray<number | string | null> }>;
  steps: PlannedStep[];
  env: ExecutionEnv;
  /** Folded values and initializers that run-time steps or outputs read; owned by the session. */
  constants: Map<string, Value>;
  /** Run-time values read by nobody (unused optional outputs): freed as soon as produced. */
  unused: Set<string>;
  /** Nodes removed by folding, and transposes removed by the layout pass, for diagnostics. */
  stats: { folded: number; transposesRemoved: number };
  /** Static shapes compilation inferred for run-time values, for diagnostics and the profiler. */
  shapes: ReadonlyMap<string, readonly number[]>;
}

export interface PlanOptions {
  registry: KernelRegistry;
  /** Backends to name when an op has no kernel here. */
  alternatives: readonly string[];
  /** Static sizes for dynamic input dims, by input name. */
  inputShapes?: Readonly<Record<string, readonly number[]>>;
  externalData?: ReadonlyMap<string, Uint8Array>;
}

function opsetOf(model: Model, domain: string): number {
  const d = domain === 'ai.onnx' ? '' : domain;
  return model.opsetImports.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version ?? (d === '' ? 13 : 1);
}

function topologicalOrder(nodes: readonly Node[], available: ReadonlySet<string>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const state = new Uint8Array(nodes.length);
  const order: Node[] = [];
  const visit = (start: number) => {
    const stack: Array<[number, number]> = [[start, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [index, next] = top;
      const node = nodes[index]!;
      if (next === 0) {
        if (state[index] === 2) { stack.pop(); continue; }
        state[index] = 1;
      }
      if (next < node.inputs.length) {
        top[1] = next + 1;
        const name = node.inputs[next]!;
        if (name === '' || available.has(name)) continue;
        const p = producer.get(name);
        if (p === undefined) {
          throw new SamClipError('MODEL_DECODE', `Node "${node.name}" (${node.opType}) reads "${name}", which no node, input or initializer provides.`, { node: node.name, value: name });
        }
        if (state[p] === 1) throw new SamClipError('MODEL_DECODE', `The graph has a cycle through node "${node.name}".`, { node: node.name });
        if (state[p] === 0) stack.push([p, 0]);
        continue;
      }
      state[index] = 2;
      order.push(node);
      stack.pop();
    }
  };
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  return order;
}

function staticDims(dims: ReadonlyArray<number | string | null> | undefined): number[] | undefined {
  if (!dims || dims.some((d) => typeof d !== 'number' || d < 0)) return undefined;
  return dims as number[];
}

function foldNode(kernel: Kernel, node: Node, given: ReadonlyArray<StaticInfo | undefined>, env: ExecutionEnv): Array<Value | undefined> | undefined {
  const values = given.map((g) => g && (g.constant ?? { dtype: 'float32' as DType, dims: g.shape! }));
  try {
    return executeNode(kernel, node, values, env);
  } catch (error) {
    if (error instanceof HostReadPending) return undefined;
    throw error;
  }
}

export function planModel(model: Model, options: PlanOptions): ExecutionPlan {
  const graph = model.graph;
  const initializerNames = new Set(graph.initializers.map((i) => i.name));
  const inputs: GraphInputInfo[] = graph.inputs
    .filter((i) => !initializerNames.has(i.name))
    .map((i) => {
      const type = i.type;
      if (type?.kind !== 'tensor') {
        throw new SamClipError('UNSUPPORTED', `Graph input "${i.name}" is not a tensor; TensorFlow.js backends run tensor graphs only.`, { input: i.name });
      }
      return { name: i.name, dtype: type.elemType, declared: type.shape };
    });

  const available = new Set([...initializerNames, ...inputs.map((i) => i.name)]);
  const ordered = topologicalOrder(graph.nodes.map(withCaptures), available);
  const env: ExecutionEnv = { registry: options.registry, opset: (domain) => opsetOf(model, domain) };

  const missing = [...allNodes(ordered)].filter((n) => !options.registry.get(n.domain, n.opType));
  if (missing.length > 0) {
    const first = missing[0]!;
    const types = [...new Set(missing.map((n) => opKey(n.domain, n.opType)))];
    throw new SamClipError(
      'UNSUPPORTED_OP',
      `Node "${first.name}" uses operator ${opKey(first.domain, first.opType)}, which the TensorFlow.js backends do not implement` +
        `${types.length > 1 ? ` (also missing: ${types.slice(1).join(', ')})` : ''}; run this graph on ${options.alternatives.join(', ')} instead.`,
      { opType: first.opType, domain: first.domain, node: first.name, missing: types, backends: [...options.alternatives] },
    );
  }

  const info = new Map<string, StaticInfo>();
  const constants = new Map<string, Value>();
  for (const init of graph.initializers) {
    const value = hostValue(initializerTensor(init, options.externalData));
    constants.set(init.name, value);
    info.set(init.name, { shape: init.dims, constant: value });
  }
  for (const input of inputs) {
    const shape = options.inputShapes?.[input.name] ?? staticDims(input.declared);
    if (shape) info.set(input.name, { shape });
  }
  for (const vi of [...graph.valueInfo, ...graph.outputs]) {
    const shape = vi.type?.kind === 'tensor' ? staticDims(vi.type.shape) : undefined;
    if (shape && !info.has(vi.name)) info.set(vi.name, { shape });
  }

  const layout = optimizeLayout(decomposeFusedOps(ordered), (name) => info.get(name)?.shape, graph.outputs.map((o) => o.name));
  const runtime: Array<{ node: Node; kernel: Kernel }> = [];
  let folded = 0;
  try {
    for (const node of layout.nodes) {
      const kernel = options.registry.get(node.domain, node.opType)!;
      const opset = opsetOf(model, node.domain);
      const given = node.inputs.map((name) => (name === '' ? undefined : info.get(name)));
      const allConstant = given.every((g, i) => node.inputs[i] === '' || g?.constant !== undefined);
      const shapesKnown = given.every((g, i) => node.inputs[i] === '' || g?.shape !== undefined);
      // A fold that needs a device value on the host (HostReadPending: tfjs-webgpu reads only
      // asynchronously) is left to run time, where the session awaits the download.
      const outputs = allConstant || (kernel.shapeOnly && shapesKnown) ? foldNode(kernel, node, given, env) : undefined;
      if (outputs) {
        node.outputs.forEach((name, i) => {
          const v = outputs[i];
          if (!name || !v) return;
          constants.set(name, v);
          info.set(name, { shape: v.dims, constant: v });
        });
        folded++;
        continue;
      }
      runtime.push({ node, kernel });
      let shapes: Array<readonly number[] | undefined> = [];
      try {
        shapes = kernel.inferShapes?.(new StaticShapeContext(node, opset, given)) ?? [];
      } catch {
        shapes = [];
      }
      node.outputs.forEach((name, i) => {
        const s = shapes[i] ?? info.get(name)?.shape;
        if (name && s) info.set(name, { shape: s });
        else if (name) info.delete(name);
      });
    }
  } catch (error) {
    for (const v of constants.values()) disposeValue(v);
    throw error;
  }

  // Last use of every value among run-time steps; outputs and constants are never released mid-run.
  const outputNames = new Set(graph.outputs.map((o) => o.name));
  const lastUse = new Map<string, number>();
  runtime.forEach((step, i) => step.node.inputs.forEach((name) => name && lastUse.set(name, i)));
  const release: string[][] = runtime.map(() => []);
  for (const [name, i] of lastUse) {
    if (!outputNames.has(name) && !constants.has(name)) release[i]!.push(name);
  }
  const shapes = new Map<string, readonly number[]>();
  for (const step of runtime) {
    for (const name of [...step.node.inputs, ...step.node.outputs]) {
      const shape = name ? info.get(name)?.shape : undefined;
      if (shape) shapes.set(name, shape);
    }
  }
  const unused = new Set<string>();
  for (const step of runtime) for (const o of step.node.outputs) if (o && !lastUse.has(o) && !outputNames.has(o)) unused.add(o);

  for (const [name, value] of constants) {
    if (!lastUse.has(name) && !outputNames.has(name)) {
      disposeValue(value);
      constants.delete(name);
    }
  }

  return {
    inputs: inputs.map((i) => {
      const shape = options.inputShapes?.[i.name] ?? staticDims(i.declared);
      return shape ? { ...i, pinned: shape } : i;
    }),
    outputs: graph.outputs.map((o) => ({
      name: o.name,
      dtype: o.type?.kind === 'tensor' ? o.type.elemType : undefined,
      dims: o.type?.kind === 'tensor' ? o.type.shape : undefined,
    })),
    steps: runtime.map((s, i) => ({ ...s, release: release[i]! })),
    env,
    constants,
    unused,
    stats: { folded, transposesRemoved: layout.transposesRemoved },
    shapes,
  };
}
