/**
 * What the rewrites of samclip's token-layout output upscaling (cropOutputUpscaling,
 * selectUpscaledMasks) share: the exporter's node scope, and builders for the nodes and int64
 * constants they add.
 */
import type { Initializer, Model, Node } from './types.js';

/** The node-name scope of the upscaling tools/samclip_tools exports (TokenLayoutUpscaling in model/mask_decoder.py). */
export const UPSCALING_SCOPE = '/output_upscaling_token_layout/';

/** The model's default-domain opset version, 0 when it imports none. */
export function defaultOpset(model: Model): number {
  return model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

/** An int64 initializer (a vector of `values` unless `dims` says otherwise, e.g. [] for a scalar). */
export function int64Initializer(name: string, values: ReadonlyArray<number | bigint>, dims: number[] = [values.length]): Initializer {
  return { name, dtype: 'int64', dims, data: BigInt64Array.from(values, BigInt) };
}

/** A default-domain node with one output, named after it. */
export function singleOutputNode(opType: string, inputs: string[], output: string, attributes: Node['attributes'] = []): Node {
  return { name: output, opType, domain: '', inputs, outputs: [output], attributes };
}
