/**
 * The layout pass. tfjs convolutions are channels-last while ONNX is channels-first, so each 2-D
 * Conv/ConvTranspose becomes Transpose(NCHW→NHWC) → ConvNHWC → Transpose(NHWC→NCHW), with Conv
 * weights transposed once by constant folding. Transposes are then sunk through elementwise ops
 * and adjacent inverse pairs cancel, so a chain of convolutions and activations stays NHWC.
 */
import type { Node } from '@samclip/core';
import { INTERNAL_DOMAIN } from '../kernels/internal.js';

const UNARY_ELEMENTWISE = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Gelu', 'Erf', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'LeakyRelu',
  'HardSwish', 'HardSigmoid', 'Softplus', 'Elu', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Cast', 'Identity', 'Clip', 'Not', 'Sign',
]);
const BINARY_ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min']);

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];
const OIHW_TO_HWIO = [2, 3, 1, 0];

export interface LayoutResult {
  nodes: Node[];
  transposesRemoved: number;
}

function transpose(name: string, input: string, output: string, perm: number[]): Node {
  return { name, opType: 'Transpose', domain: '', inputs: [input], outputs: [output], attributes: [{ name: 'perm', value: { type: 'ints', value: perm } }] };
}

function permOf(node: Node): number[] | undefined {
  const a = node.attributes.find((x) => x.name === 'perm');
  return a?.value.type === 'ints' ? a.value.value.map(Number) : undefined;
}

function isScalarLike(shape: readonly number[] | undefined): boolean {
  return shape !== undefined && shape.every((d) => d === 1) && shape.length <= 1;
}

function rewriteConvolutions(nodes: Node[], shapeOf: (name: string) => readonly number[] | undefined): Node[] {
  const out: Node[] = [];
  for (const node of nodes) {
    const isConv = node.domain === '' && node.opType === 'Conv';
    const isConvTranspose = node.domain === '' && node.opType === 'ConvTranspose';
    const weights = shapeOf(node.inputs[1] ?? '');
    if (!(isConv || isConvTranspose) || weights?.length !== 4 || !node.outputs[0]) {
      out.push(node);
      continue;
    }
    const y = node.outputs[0];
    const xNhwc = `${y}::x_nhwc`;
    const yNhwc = `${y}::y_nhwc`;
    out.push(transpose(`${node.name}::to_nhwc`, node.inputs[0]!, xNhwc, NCHW_TO_NHWC));
    let w = node.inputs[1]!;
    if (isConv) {
      out.push(transpose(`${node.name}::weights_hwio`, w, `${y}::w_hwio`, OIHW_TO_HWIO));
      w = `${y}::w_hwio`;
    }
    out.push({ ...node, domain: INTERNAL_DOMAIN, opType: isConv ? 'ConvNHWC' : 'ConvTransposeNHWC', inputs: [xNhwc, w, ...node.inputs.slice(2)], outputs: [yNhwc] });
    out.push(transpose(`${node.name}::to_nchw`, yNhwc, y, NHWC_TO_NCHW));
  }
  return out;
}

/** Moves a transpose below an elementwise op whose only data input(s) it feeds: T→U becomes U→T. */
function sinkTransposes(nodes: Node[], shapeOf: (name: string) => readonly number[] | undefined, outputs: ReadonlySet<string>): boolean {
  const producer = new Map<string, Node>();
  const consumers = new Map<string, number>();
  for (const n of nodes) {
    n.outputs.forEach((o) => producer.set(o, n));
    n.inputs.forEach((i) => consumers.set(i, (consumers.get(i) ?? 0) + 1));
  }
  const soleTranspose = (name: string | undefined) => {
    const p = name ? producer.get(name) : undefined;
    return p && p.opType === 'Transpose' && p.domain === '' && consumers.get(name!) === 1 && !outputs.has(name!) ? p : undefined;
  };
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.domain !== '' || node.outputs.length !== 1) continue;
    let moved: Node | undefined;
    let source: Node | undefined;
    if (UNARY_ELEMENTWISE.has(node.opType)) {
      const t = soleTranspose(node.inputs[0]);
      const rest = node.inputs.slice(1).every((name) => name === '' || isScalarLike(shapeOf(name)));
      if (t && rest) {
        moved = { ...node, inputs: [t.inputs[0]!, ...node.inputs.slice(1)] };
        source = t;
      }
    } else if (BINARY_ELEMENTWISE.has(node.opType)) {
      const [a, b] = [soleTranspose(node.inputs[0]), soleTranspose(node.inputs[1])];
      const sameRank = (t: Node) => shapeOf(t.inputs[0]!)?.length === permOf(t)?.length;
      if (a && b && a !== b && permOf(a)?.join() === permOf(b)?.join() && sameRank(a) && sameRank(b)) {
        moved = { ...node, inputs: [a.inputs[0]!, b.inputs[0]!] };
        source = a;
        nodes.splice(nodes.indexOf(b), 1);
      } else if (a && isScalarLike(shapeOf(node.inputs[1]!))) {
        moved = { ...node, inputs: [a.inputs[0]!, node.inputs[1]!] };
        source = a;
      } else if (b && isScalarLike(shapeOf(node.inputs[0]!))) {
        moved = { ...node, inputs: [node.inputs[0]!, b.inputs[0]!] };
        source = b;
      }
    }
    if (!moved || !source) continue;
    nodes.splice(nodes.indexOf(source), 1);
    const perm = permOf(source)!;
    const y = node.outputs[0]!;
    const index = nodes.indexOf(node);
    nodes.splice(index, 1, { ...moved, outputs: [`${y}::pre_transpose`] }, transpose(`${node.name}::sunk_transpose`, `${y}::pre_transpose`, y, perm));
    return true;
  }
  return false;
}

/**
 * Transpose(Transpose(x, p), q): when the two cancel, readers use x directly (an Identity keeps a
 * graph output's name); otherwise one composed Transpose remains.
 */
function cancelPairs(nodes: Node[], outputs: ReadonlySet<string>): boolean {
  const producer = new Map<string, Node>();
  for (const n of nodes) n.outputs.forEach((o) => producer.set(o, n));
  let changed = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (node.opType !== 'Transpose' || node.domain !== '') continue;
    const inner = producer.get(node.inputs[0]!);
    const outer = permOf(node);
    const first = inner && inner.opType === 'Transpose' && inner.domain === '' ? permOf(inner) : undefined;
    if (!inner || !outer || !first) continue;
    const composed = outer.map((p) => first[p]!);
    const identity = composed.every((p, j) => p === j);
    const y = node.outputs[0]!;
    if (identity && !outputs.has(y)) {
      // Readers of the pair's output read its source instead.
      const source = inner.inputs[0]!;
      for (const n of nodes) n.inputs = n.inputs.map((name) => (name === y ? source : name));
      nodes.splice(i, 1);
      i -= 1;
      changed = true;
      continue;
    }
    nodes[i] = identity
      ? { name: node.name, opType: 'Identity', domain: '', inputs: [inner.inputs[0]!], outputs: node.outputs, attributes: [] }
      : transpose(node.name, inner.inputs[0]!, node.outputs[0]!, composed);
    producer.set(node.outputs[0]!, nodes[i]!);
    changed = true;
  }
  // Drop transposes nobody reads any more.
  let dropped = true;
  while (dropped) {
    dropped = false;
    const used = new Set(nodes.flatMap((n) => n.inputs));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      if (n.opType === 'Transpose' && n.outputs.every((o) => !used.has(o) && !outputs.has(o))) {
        nodes.splice(i, 1);
        dropped = true;
        changed = true;
      }
    }
  }
  return changed;
}

export function optimizeLayout(nodes: readonly Node[], shapeOf: (name: string) => readonly number[] | undefined, graphOutputs: readonly string[]): LayoutResult {
  const outputs = new Set(graphOutputs);
  const rewritten = rewriteConvolutions([...nodes], shapeOf);
  if (rewritten.length === nodes.length) return { nodes: rewritten, transposesRemoved: 0 };
  const countTransposes = () => rewritten.filter((n) => n.opType === 'Transpose').length;
  const before = countTransposes();
  for (let round = 0; round < 4 * rewritten.length; round++) {
    const sunk = sinkTransposes(rewritten, shapeOf, outputs);
    const cancelled = cancelPairs(rewritten, outputs);
    if (!sunk && !cancelled) break;
  }
  return { nodes: rewritten, transposesRemoved: before - countTransposes() };
}
