/** Writes small ONNX files that follow (or break) a role contract, for CLI tests. Not runnable models. */
import { writeFile } from 'node:fs/promises';
import { ROLE_CONTRACTS, encodeModel } from '@samclip/core';
import type { Dim, Role, SamClipConfig, ValueInfo } from '@samclip/core';

export const CLI_TEST_CONFIG: SamClipConfig = {
  imageSize: 64,
  gridSize: 4,
  backboneDim: 32,
  embedDim: 16,
  maskInputSize: 16,
  textEmbedDim: 24,
  contextLength: 77,
  clipImageSize: 32,
  clipGridSize: 2,
};

export async function writeRoleOnnx(file: string, role: Role, overrides: Record<string, Dim[]> = {}, config = CLI_TEST_CONFIG): Promise<void> {
  const contract = ROLE_CONTRACTS[role];
  const info = (tensor: (typeof contract.inputs)[number]): ValueInfo => ({
    name: tensor.name,
    type: {
      kind: 'tensor',
      elemType: tensor.dtype,
      shape:
        overrides[tensor.name] ??
        tensor.shape.map((dim) => (dim.kind === 'fixed' ? dim.value : dim.kind === 'config' ? (config[dim.key] as number) : dim.symbol === 'K' ? 4 : dim.symbol)),
    },
  });
  const outputs = contract.outputs.map(info);
  const bytes = encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 17 }],
    metadataProps: [],
    graph: {
      name: role,
      nodes: outputs.map((o, i) => ({ name: `n${i}`, opType: 'Identity', domain: '', inputs: ['weight'], outputs: [o.name], attributes: [] })),
      initializers: [{ name: 'weight', dtype: 'float32', dims: [4, 4], data: new Float32Array(16) }],
      inputs: contract.inputs.map(info),
      outputs,
      valueInfo: [],
    },
  });
  await writeFile(file, bytes);
}
