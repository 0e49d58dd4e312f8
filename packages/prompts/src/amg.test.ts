import { describe, expect, it } from 'vitest';
import { buildLayerPointGrids, buildPointGrid, cropPointPrompts, generateCropBoxes } from './amg.js';

describe('automatic mask generation prompts', () => {
  it('builds cell-centre grids like np.linspace', () => {
    expect(Array.from(buildPointGrid(2))).toEqual([0.25, 0.25, 0.75, 0.25, 0.25, 0.75, 0.75, 0.75]);
    const three = buildPointGrid(3);
    expect(Array.from(three.subarray(0, 6))).toEqual([0.16666666666666666, 0.16666666666666666, 0.5, 0.16666666666666666, 0.8333333333333334, 0.16666666666666666]);
    expect(Array.from(buildPointGrid(1))).toEqual([0.5, 0.5]);
  });

  it('shrinks grids per crop layer', () => {
    expect(buildLayerPointGrids(32, 2, 2).map((g) => g.length / 2)).toEqual([1024, 256, 64]);
  });

  it('matches segment-anything generate_crop_boxes on 1800×1200, two layers', () => {
    // Printed by segment-anything's generate_crop_boxes((1200, 1800), 2, 512 / 1500).
    const expected = [[0, 0, 1800, 1200], [0, 0, 1105, 805], [0, 396, 1105, 1200], [696, 0, 1800, 805], [696, 396, 1800, 1200], [0, 0, 603, 453], [0, 249, 603, 702], [0, 498, 603, 951], [0, 747, 603, 1200], [399, 0, 1002, 453], [399, 249, 1002, 702], [399, 498, 1002, 951], [399, 747, 1002, 1200], [798, 0, 1401, 453], [798, 249, 1401, 702], [798, 498, 1401, 951], [798, 747, 1401, 1200], [1197, 0, 1800, 453], [1197, 249, 1800, 702], [1197, 498, 1800, 951], [1197, 747, 1800, 1200]];
    const boxes = generateCropBoxes({ width: 1800, height: 1200 }, 2);
    expect(boxes.map((b) => [b.x0, b.y0, b.x1, b.y1])).toEqual(expected);
    expect(boxes.map((b) => b.layer)).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('places crop points in crop pixels', () => {
    const grids = buildLayerPointGrids(2, 1);
    const [, crop] = generateCropBoxes({ width: 1800, height: 1200 }, 1);
    const points = cropPointPrompts(crop!, grids);
    expect(points[0]).toEqual({ x: 0.25 * 1105, y: 0.25 * 805, label: 'foreground' });
    expect(points).toHaveLength(4);
  });
});
