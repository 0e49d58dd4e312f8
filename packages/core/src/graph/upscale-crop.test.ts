/**
 * cropOutputUpscaling on the tiny-random fixture's prompt decoder (samclip's token-layout export):
 * the full grid gives the graph's outputs bit for bit, a smaller one the top-left part of its
 * low-res masks bit for bit; graphs it does not recognise come back unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend/types.js';
import { expectDeclined, tinyRandomDecoder, tinyRandomPresent, withoutUpscalingScope } from '../test-utils/tiny-random.js';
import { decodeModel, encodeModel } from './codec.js';
import { createTensor } from './tensor.js';
import type { Model, Tensor } from './types.js';
import { cropOutputUpscaling, UPSCALE_GRID_INPUT } from './upscale-crop.js';

function grid(rows: number, cols: number): Tensor {
  return createTensor('int64', [2], BigInt64Array.of(BigInt(rows), BigInt(cols)));
}

describe.runIf(tinyRandomPresent)('cropOutputUpscaling (tiny-random prompt decoder, ort-node)', () => {
  let backend: Backend;
  let bytes: Uint8Array;
  let feeds: Record<string, Tensor>;
  let reference: Record<string, Tensor<'float32'>>;
  let gridSize: number;

  beforeAll(async () => {
    ({ backend, bytes, feeds, reference } = await tinyRandomDecoder());
    gridSize = feeds.image_embeddings!.dims[2]!;
  });

  async function runCropped(rows: number, cols: number): Promise<Record<string, Tensor<'float32'>>> {
    const model = decodeModel(bytes);
    expect(cropOutputUpscaling(model)).toBe(UPSCALE_GRID_INPUT);
    const session = await backend.createSession(encodeModel(model));
    try {
      return (await session.run({ ...feeds, [UPSCALE_GRID_INPUT]: grid(rows, cols) })) as Record<string, Tensor<'float32'>>;
    } finally {
      await session.dispose();
    }
  }

  it('adds the grid input; the whole grid reproduces every output exactly', async () => {
    const out = await runCropped(gridSize, gridSize);
    for (const name of Object.keys(reference)) {
      expect(out[name]!.dims, name).toEqual(reference[name]!.dims);
      expect(out[name]!.data, name).toEqual(reference[name]!.data);
    }
  });

  it.each([
    [3, 5],
    [5, 2],
    [1, 1],
  ])('a %i×%i grid gives the top-left part of the low-res masks, bit for bit, and the same scores', async (rows, cols) => {
    expect(rows).toBeLessThanOrEqual(gridSize);
    const out = await runCropped(rows, cols);
    const full = reference.low_res_masks!;
    const [, masks, side] = full.dims as [number, number, number, number];
    const cell = side / gridSize;
    expect(out.low_res_masks!.dims).toEqual([1, masks, rows * cell, cols * cell]);
    const expected = new Float32Array(masks * rows * cell * cols * cell);
    let i = 0;
    for (let k = 0; k < masks; k++) for (let y = 0; y < rows * cell; y++) for (let x = 0; x < cols * cell; x++) expected[i++] = full.data[(k * side + y) * side + x]!;
    expect(out.low_res_masks!.data).toEqual(expected);
    expect(out.iou_predictions!.data).toEqual(reference.iou_predictions!.data);
  });

  it('leaves graphs without the token-layout upscaling, or already cropped, unchanged', () => {
    expectDeclined(withoutUpscalingScope(bytes), cropOutputUpscaling);

    const cropped: Model = decodeModel(bytes);
    cropOutputUpscaling(cropped);
    expectDeclined(cropped, cropOutputUpscaling);
  });
});
