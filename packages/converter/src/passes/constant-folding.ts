/**
 * Constant folding: evaluates nodes whose inputs are all constants (and `Shape` of statically
 * shaped values) and replaces them with initializers. PyTorch exports are full of shape
 * arithmetic and weight transposes that engines would otherwise redo on every load.
 */
import type { AttributeValue, Initializer, Model, Node } from '@samclip/core';
import type { ConstValue } from '../ir/evaluator.js';
import { canEvaluate, evaluateNode, fromNumbers, initializerValue } from '../ir/evaluator.js';
import { findAttribute } from '../ir/graph-utils.js';
import { elementCount } from '../ir/numeric.js';
import type { Pass, PassReport } from '../pipeline.js';
import { inferTypes } from './shape-inference.js';

/** Folded outputs may grow past their inputs only up to this many elements (ConstantOfShape, Expand). */
const MAX_GROWTH_ELEMENTS = 4096;
/** Each round resolves the shapes of roughly one more transformer block (ViT-B's 12 need about 8). */
const MAX_ROUNDS = 32;

function constantNodeValue(node: Node): ConstValue | undefined {
  const attr = node.attributes[0]?.value as AttributeValue | undefined;
  if (!attr || node.attributes.length !== 1) return undefined;
  const tensorValue = findAttribute(node, 'value');
  if (tensorValue?.type === 'tensor') return initializerValue(tensorValue.value);
  switch (node.attributes[0]!.name) {
    case 'value_float':
      return attr.type === 'float' ? fromNumbers('float32', [], [attr.value]) : undefined;
    case 'value_floats':
      return attr.type === 'floats' ? fromNumbers('float32', [attr.value.length], attr.value) : undefined;
    case 'value_int':
      return attr.type === 'int' ? fromNumbers('int64', [], [Number(attr.value)]) : undefined;
    case 'value_ints':
      return attr.type === 'ints' ? fromNumbers('int64', [attr.value.length], attr.value.map(Number)) : undefined;
    default:
      return undefined;
  }
}

function foldOnce(model: Model): number {
  const graph = model.graph;
  const types = inferTypes(graph);
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const constants = new Map<string, ConstValue>();
  for (const init of graph.initializers) {
    const value = graphInputs.has(init.name) ? undefined : initializerValue(init);
    if (value) constants.set(init.name, value);
  }
  const added: Initializer[] = [];
  const kept: Node[] = [];
  let folded = 0;
  for (const node of graph.nodes) {
    const outputs = node.outputs.filter((o) => o !== '');
    let values: ConstValue[] | undefined;
    if (!outputs.some((o) => graphOutputs.has(o))) {
      if (node.opType === 'Constant' && node.domain === '') {
        const value = constantNodeValue(node);
        values = value ? [value] : undefined;
      } else if (node.opType === 'Shape' && node.domain === '') {
        const shape = types.get(node.inputs[0] ?? '')?.shape;
        if (shape?.every((d): d is number => typeof d === 'number')) {
          values = evaluateNode(node, [{ dtype: 'float32', dims: shape, data: new Float32Array(0) }]);
        }
      } else if (canEvaluate(node) && node.inputs.every((i) => i === '' || constants.has(i))) {
        const inputs = node.inputs.map((i) => (i === '' ? undefined : constants.get(i)));
        try {
          values = evaluateNode(node, inputs);
        } catch {
          values = undefined;
        }
        const inputElements = inputs.reduce((sum, v) => sum + (v ? elementCount(v.dims) : 0), 0);
        if (values?.some((v) => elementCount(v.dims) > Math.max(MAX_GROWTH_ELEMENTS, inputElements))) values = undefined;
      }
    }
    if (!values || values.length < outputs.length) {
      kept.push(node);
      continue;
    }
    folded++;
    node.outputs.forEach((name, i) => {
      const value = values![i];
      if (name === '' || !value) return;
      constants.set(name, value);
      added.push({ name, dtype: value.dtype, dims: value.dims, data: value.data });
    });
  }
  graph.nodes = kept;
  graph.initializers.push(...added);
  return folded;
}

export const constantFoldingPass: Pass = {
  name: 'constant-folding',
  run(model: Model): PassReport {
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const folded = foldOnce(model);
      total += folded;
      if (folded === 0) break;
    }
    return { pass: 'constant-folding', changed: total };
  },
};
