/**
 * selectUpscaledMasks on the tiny-random fixture's prompt decoder (samclip's token-layout export):
 * the named masks come back bit for bit, in the order asked, −1 resolving to the best multimask
 * output; with cropOutputUpscaling too; graphs it does not recognise come back unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend/types.js';
import { argmax } from '../tasks/math.js';
import { expectDeclined, tinyRandomDecoder, tinyRandomPresent, withoutUpscalingScope } from '../test-utils/tiny-random.js';
import { decodeModel, encodeModel } from './codec.js';
import { BEST_MULTIMASK, selectUpscaledMasks, UPSCALE_MASKS_INPUT, UPSCALED_MASKS_OUTPUT } from './mask-select.js';
import { createTensor } from './tensor.js';
import type { Model, Tensor } from './types.js';
import { cropOutputUpscaling, UPSCALE_GRID_INPUT } from './upscale-crop.js';

function masks(...indices: number[]): Tensor {
  return createTensor('int64', [indices.length], BigInt64Array.from(indices, BigInt));
}

/** Plane `index` of a [1, K, H, W] tensor, rows cropped to `rows` and columns to `cols`. */
function plane(tensor: Tensor<'float32'>, index: number, rows = tensor.dims[2]!, cols = tensor.dims[3]!): Float32Array {
  const [, , height, width] = tensor.dims as [number, number, number, number];
  const out = new Float32Array(rows * cols);
  for (let y = 0; y < rows; y++) out.set(tensor.data.subarray((index * height + y) * width, (index * height + y) * width + cols), y * cols);
  return out;
}

describe.runIf(tinyRandomPresent)('selectUpscaledMasks (tiny-random prompt decoder, ort-node)', () => {
  let backend: Backend;
  let bytes: Uint8Array;
  let feeds: Record<string, Tensor>;
  let reference: Record<string, Tensor<'float32'>>;

  beforeAll(async () => {
    ({ backend, bytes, feeds, reference } = await tinyRandomDecoder());
  });

  async function runRewritten(rewrite: (model: Model) => void, extra: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    const model = decodeModel(bytes);
    rewrite(model);
    const session = await backend.createSession(encodeModel(model));
    try {
      return (await session.run({ ...feeds, ...extra })) as Record<string, Tensor>;
    } finally {
      await session.dispose();
    }
  }

  const select = (model: Model): void => {
    expect(selectUpscaledMasks(model)).toBe(UPSCALE_MASKS_INPUT);
  };

  it('all four masks in order reproduce every output exactly', async () => {
    const out = await runRewritten(select, { [UPSCALE_MASKS_INPUT]: masks(0, 1, 2, 3) });
    for (const name of Object.keys(reference)) {
      expect(out[name]!.dims, name).toEqual(reference[name]!.dims);
      expect(out[name]!.data, name).toEqual(reference[name]!.data);
    }
    expect([...(out[UPSCALED_MASKS_OUTPUT]!.data as BigInt64Array)]).toEqual([0n, 1n, 2n, 3n]);
  });

  it.each([[[0]], [[3, 1]], [[1, 2, 3]], [[BEST_MULTIMASK]], [[2, BEST_MULTIMASK, 0]]])('masks %j: those planes, bit for bit, in that order', async (asked) => {
    const out = await runRewritten(select, { [UPSCALE_MASKS_INPUT]: masks(...asked) });
    const best = 1 + argmax(reference.iou_predictions!.data.subarray(1, 4));
    const resolved = asked.map((index) => (index === BEST_MULTIMASK ? best : index));
    expect([...(out[UPSCALED_MASKS_OUTPUT]!.data as BigInt64Array)].map(Number)).toEqual(resolved);
    const lowRes = out.low_res_masks as Tensor<'float32'>;
    expect(lowRes.dims).toEqual([1, asked.length, ...reference.low_res_masks!.dims.slice(2)]);
    resolved.forEach((index, k) => expect(plane(lowRes, k), `plane ${k}`).toEqual(plane(reference.low_res_masks!, index)));
    expect(out.iou_predictions!.data).toEqual(reference.iou_predictions!.data);
  });

  it('composes with cropOutputUpscaling, in either order', async () => {
    const [, , side] = reference.low_res_masks!.dims as [number, number, number, number];
    const gridSize = feeds.image_embeddings!.dims[2]!;
    const cell = side / gridSize;
    const extra = { [UPSCALE_MASKS_INPUT]: masks(BEST_MULTIMASK), [UPSCALE_GRID_INPUT]: createTensor('int64', [2], BigInt64Array.of(3n, 5n)) };
    const best = 1 + argmax(reference.iou_predictions!.data.subarray(1, 4));
    for (const rewrite of [(m: Model) => (cropOutputUpscaling(m), select(m)), (m: Model) => (select(m), cropOutputUpscaling(m))]) {
      const out = await runRewritten(rewrite, extra);
      const lowRes = out.low_res_masks as Tensor<'float32'>;
      expect(lowRes.dims).toEqual([1, 1, 3 * cell, 5 * cell]);
      expect(plane(lowRes, 0)).toEqual(plane(reference.low_res_masks!, best, 3 * cell, 5 * cell));
    }
  });

  it('leaves graphs without the token-layout upscaling, with one mask, or already rewritten, unchanged', () => {
    expectDeclined(withoutUpscalingScope(bytes), selectUpscaledMasks);

    const single = decodeModel(bytes);
    const iou = single.graph.outputs.find((output) => output.name === 'iou_predictions')!;
    iou.type = { kind: 'tensor', elemType: 'float32', shape: [1, 1] };
    expectDeclined(single, selectUpscaledMasks);

    const selected = decodeModel(bytes);
    select(selected);
    expectDeclined(selected, selectUpscaledMasks);
  });
});
