/** Builds small ONNX models for tests: nodes, typed inputs/outputs and initializers, encoded to bytes. */
import { createTensor, encodeModel } from '@samclip/core';
import type { Attribute, DType, Initializer, Node, Tensor, ValueInfo } from '@samclip/core';

export function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, Attribute['value']> = {}, domain = ''): Node {
  return { name: `${opType}_${outputs[0] ?? ''}`, opType, domain, inputs, outputs, attributes: Object.entries(attributes).map(([name, value]) => ({ name, value })) };
}

export function ints(value: number[]): Attribute['value'] {
  return { type: 'ints', value };
}
export function int(value: number): Attribute['value'] {
  return { type: 'int', value };
}

export function io(name: string, elemType: DType, shape: Array<number | string>): ValueInfo {
  return { name, type: { kind: 'tensor', elemType, shape } };
}

export function init(name: string, tensor: Tensor): Initializer {
  return { name, dtype: tensor.dtype, dims: [...tensor.dims], data: tensor.data };
}

export function modelBytes(spec: { nodes: Node[]; inputs: ValueInfo[]; outputs: ValueInfo[]; initializers?: Initializer[]; opset?: number; extraOpsets?: Array<{ domain: string; version: number }> }): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: spec.opset ?? 17 }, ...(spec.extraOpsets ?? [])],
    metadataProps: [],
    graph: { name: 'test', nodes: spec.nodes, initializers: spec.initializers ?? [], inputs: spec.inputs, outputs: spec.outputs, valueInfo: [] },
  });
}

export function randomTensor(dims: number[], seed = 1): Tensor<'float32'> {
  let state = seed;
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    data[i] = state / 1073741824 - 1;
  }
  return createTensor('float32', dims, data);
}
