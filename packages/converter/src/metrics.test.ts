import { describe, expect, it } from 'vitest';
import { agreement, argmaxRows, cosineSimilarity, maskIoU, maxAbsError, median, nearestClass } from './metrics.js';
import { createNodeFilter } from './exclusions.js';

describe('metrics', () => {
  it('computes cosine, max abs error and IoU on known values', () => {
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(maxAbsError([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsError([NaN], [0])).toBe(Infinity);
    expect(maskIoU([1, 1, -1, -1], [1, -1, 1, -1])).toBeCloseTo(1 / 3, 12);
    expect(maskIoU([-1, -2], [-3, -4])).toBe(1);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('labels rows by argmax and by nearest class embedding', () => {
    expect(Array.from(argmaxRows([0, 2, 1, 5, 4, 3], 3))).toEqual([1, 0]);
    const classes = [1, 0, 0, 1];
    expect(Array.from(nearestClass([3, 1, 0.2, 2, -1, -0.1], classes, 2))).toEqual([0, 1, 1]);
    expect(agreement(Int32Array.of(1, 2, 3, 4), Int32Array.of(1, 2, 0, 4))).toBe(0.75);
  });
});

describe('exclusions', () => {
  const node = (name: string, opType = 'MatMul', inputs: string[] = []) => ({ name, opType, domain: '', inputs, outputs: [], attributes: [] });

  it('keeps the patch embedding, positional encodings and mask decoder output layers by default', () => {
    const filter = createNodeFilter();
    expect(filter.excluded(node('/image_encoder/patch_embed/proj/Conv', 'Conv'))).toMatch(/patch_embed/);
    expect(filter.excluded(node('/Add', 'Add', ['x', 'image_encoder.pos_embed']))).toMatch(/pos_embed/);
    expect(filter.excluded(node('/mask_decoder/output_hypernetworks_mlps.0/layers.0/MatMul'))).toBeDefined();
    expect(filter.excluded(node('/mask_decoder/iou_prediction_head/layers.2/MatMul'))).toBeDefined();
    expect(filter.excluded(node('/mask_decoder/output_upscaling/output_upscaling.0/ConvTranspose', 'ConvTranspose'))).toBeDefined();
    expect(filter.excluded(node('/image_encoder/blocks.0/attn/qkv/MatMul'))).toBeUndefined();
  });

  it('matches by name, op and user pattern, and can drop the defaults', () => {
    const filter = createNodeFilter({ nodes: ['/a/MatMul'], ops: ['Gemm'], patterns: [/^\/text\//], defaults: false });
    expect(filter.excluded(node('/a/MatMul'))).toBe('node name /a/MatMul');
    expect(filter.excluded(node('/b/Gemm', 'Gemm'))).toBe('op Gemm');
    expect(filter.excluded(node('/text/fc/MatMul'))).toMatch(/pattern/);
    expect(filter.excluded(node('/patch_embed/Conv', 'Conv'))).toBeUndefined();
    expect(filter.settings).toEqual({ nodes: ['/a/MatMul'], ops: ['Gemm'], patterns: ['^\\/text\\/'] });
    expect(() => createNodeFilter({ patterns: ['('] })).toThrow(/not a valid regular expression/);
  });
});
