/**
 * Static calibration hook: runs the fp32 model on sample inputs through a registered backend and
 * records the [min, max] of every activation that feeds a quantizable MatMul/Gemm/Conv, for
 * `createInt8DynamicPass({ activationRanges })` / `convertModel(…, { activationRanges })`.
 */
import { encodeModel, resolveBackend, tensorToFloat32 } from '@samclip/core';
import type { Feeds, Model, Tensor } from '@samclip/core';
import { createNodeFilter } from './exclusions.js';
import { findWeightUses } from './ir/weights.js';
import { inferTypes } from './passes/shape-inference.js';

export async function calibrateActivationRanges(model: Model, samples: readonly Feeds[], backendName: string): Promise<Record<string, { min: number; max: number }>> {
  const probe = structuredClone(model);
  const types = inferTypes(probe.graph);
  const activations = [...new Set(findWeightUses(probe.graph, { exclusions: createNodeFilter({ defaults: false }) }, 0, []).filter((u) => u.kind !== 'gather').map((u) => u.node.inputs[0]!))];
  const outputs = new Set(probe.graph.outputs.map((o) => o.name));
  for (const name of activations) {
    const type = types.get(name);
    if (!outputs.has(name) && type) probe.graph.outputs.push({ name, type: { kind: 'tensor', elemType: type.elemType } });
  }
  const { backend } = await resolveBackend(backendName);
  const session = await backend.createSession(encodeModel(probe));
  const ranges: Record<string, { min: number; max: number }> = {};
  try {
    for (const feeds of samples) {
      const fetched = await session.run(feeds, activations);
      for (const name of activations) {
        const value = fetched[name];
        if (!value) continue;
        const tensor = 'location' in value && value.location === 'device' ? await value.download() : (value as Tensor);
        const data = tensorToFloat32(tensor);
        const range = (ranges[name] ??= { min: Infinity, max: -Infinity });
        for (const v of data) {
          if (v < range.min) range.min = v;
          if (v > range.max) range.max = v;
        }
      }
    }
  } finally {
    await session.dispose();
  }
  return ranges;
}
