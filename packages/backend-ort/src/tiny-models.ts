/**
 * One-node graphs the backends build for themselves: `Add` to prove an execution provider really
 * runs (creating a session is where a missing adapter or library shows), and `Identity` to copy a
 * device tensor to the CPU through a session whose output lives on the CPU; a float16 round trip
 * to learn whether a device has float16 kernels.
 */
import { encodeModel } from '@samclip/core';
import type { DType, Model, Node, ValueInfo } from '@samclip/core';

function tensorValue(name: string, dtype: DType, shape?: Array<number | string>): ValueInfo {
  return { name, type: { kind: 'tensor', elemType: dtype, ...(shape === undefined ? {} : { shape }) } };
}

function singleNodeModel(name: string, node: Node, inputs: ValueInfo[], outputs: ValueInfo[]): Uint8Array {
  const model: Model = {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'samclip-backend-ort',
    metadataProps: [],
    graph: { name, nodes: [node], initializers: [], inputs, outputs, valueInfo: [] },
  };
  return encodeModel(model);
}

/** `sum = a + b` over float32 vectors of length N. */
export function addModel(): Uint8Array {
  return singleNodeModel(
    'samclip_probe_add',
    { name: 'add', opType: 'Add', domain: '', inputs: ['a', 'b'], outputs: ['sum'], attributes: [] },
    [tensorValue('a', 'float32', ['N']), tensorValue('b', 'float32', ['N'])],
    [tensorValue('sum', 'float32', ['N'])],
  );
}

/** `y = float32(float16(x))` over float32 vectors: runs only where the engine has float16 kernels. */
export function float16RoundTripModel(): Uint8Array {
  const model: Model = {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    producerName: 'samclip-backend-ort',
    metadataProps: [],
    graph: {
      name: 'samclip_probe_float16',
      nodes: [
        { name: 'to_half', opType: 'Cast', domain: '', inputs: ['x'], outputs: ['half'], attributes: [{ name: 'to', value: { type: 'int', value: 10 } }] },
        { name: 'doubled', opType: 'Add', domain: '', inputs: ['half', 'half'], outputs: ['twice'], attributes: [] },
        { name: 'to_float', opType: 'Cast', domain: '', inputs: ['twice'], outputs: ['y'], attributes: [{ name: 'to', value: { type: 'int', value: 1 } }] },
      ],
      initializers: [],
      inputs: [tensorValue('x', 'float32', ['N'])],
      outputs: [tensorValue('y', 'float32', ['N'])],
      valueInfo: [],
    },
  };
  return encodeModel(model);
}

/** `y = x` for any shape of `dtype`. */
export function identityModel(dtype: DType): Uint8Array {
  return singleNodeModel(
    `samclip_identity_${dtype}`,
    { name: 'identity', opType: 'Identity', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] },
    [tensorValue('x', dtype)],
    [tensorValue('y', dtype)],
  );
}
