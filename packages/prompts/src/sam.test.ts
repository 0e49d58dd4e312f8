import { describe, expect, it } from 'vitest';
import { PromptError } from './errors.js';
import { encodeSamPrompt, encodeSamPromptPerBox, resizeLongestSide, toModelCoords } from './sam.js';

const image = { width: 1800, height: 1200 };

describe('ResizeLongestSide rule', () => {
  it('rounds the short side with int(side·scale + 0.5)', () => {
    expect(resizeLongestSide(image)).toEqual({ width: 1024, height: 683 });
    expect(resizeLongestSide({ width: 1200, height: 1800 })).toEqual({ width: 683, height: 1024 });
    expect(resizeLongestSide({ width: 640, height: 480 })).toEqual({ width: 1024, height: 768 });
    expect(resizeLongestSide({ width: 333, height: 500 }, 64)).toEqual({ width: 43, height: 64 });
  });

  it('scales each axis by its own new/old ratio (apply_coords)', () => {
    // numpy float64 then float32, as segment-anything computes them.
    expect(Array.from(toModelCoords([900, 600, 1799, 1199], image))).toEqual([512, 341.5, 1023.4310913085938, 682.4308471679688]);
  });
});

describe('encodeSamPrompt', () => {
  it('appends the padding point when there is no box', () => {
    const inputs = encodeSamPrompt(
      { points: [{ x: 900, y: 600, label: 'foreground' }, { x: 0, y: 1200, label: 'background' }] },
      { imageSize: image },
    );
    expect(inputs.numPoints).toBe(3);
    expect(Array.from(inputs.pointLabels)).toEqual([1, 0, -1]);
    expect(Array.from(inputs.pointCoords)).toEqual([512, 341.5, 0, 683, 0, 0]);
    expect(Array.from(inputs.origImSize)).toEqual([1200, 1800]);
    expect(inputs.hasMaskInput[0]).toBe(0);
    expect(inputs.maskInput.length).toBe(256 * 256);
  });

  it('encodes a box as corners labelled 2 and 3, after the points, without padding', () => {
    const inputs = encodeSamPrompt(
      { points: [{ x: 900, y: 600, label: 'foreground' }], box: { x0: 0, y0: 0, x1: 1800, y1: 1200 } },
      { imageSize: image },
    );
    expect(Array.from(inputs.pointLabels)).toEqual([1, 2, 3]);
    expect(Array.from(inputs.pointCoords)).toEqual([512, 341.5, 0, 0, 1024, 683]);
  });

  it('passes a mask prompt through and flags it', () => {
    const data = new Float32Array(16).fill(-2);
    const inputs = encodeSamPrompt({ mask: { data, width: 4, height: 4 } }, { imageSize: image, maskInputSize: 4 });
    expect(inputs.hasMaskInput[0]).toBe(1);
    expect(Array.from(inputs.maskInput)).toEqual(Array.from(data));
    expect(Array.from(inputs.pointLabels)).toEqual([-1]);
  });

  it('makes one input set per box', () => {
    const sets = encodeSamPromptPerBox(
      { boxes: [{ x0: 0, y0: 0, x1: 900, y1: 600 }, { x0: 900, y0: 600, x1: 1800, y1: 1200 }] },
      { imageSize: image },
    );
    expect(sets.map((s) => Array.from(s.pointCoords))).toEqual([
      [0, 0, 512, 341.5],
      [512, 341.5, 1024, 683],
    ]);
  });

  it('clamps outside points only when asked', () => {
    const prompt = { points: [{ x: -5, y: 1300, label: 'foreground' as const }] };
    expect(() => encodeSamPrompt(prompt, { imageSize: image })).toThrow(/outside the 1800×1200 image/);
    expect(Array.from(encodeSamPrompt(prompt, { imageSize: image, clamp: true }).pointCoords)).toEqual([0, 683, 0, 0]);
  });

  it.each([
    ['NaN coordinate', { points: [{ x: Number.NaN, y: 1, label: 'foreground' }] }, image],
    ['infinite coordinate', { points: [{ x: 1, y: Infinity, label: 'foreground' }] }, image],
    ['inverted box', { box: { x0: 10, y0: 0, x1: 5, y1: 10 } }, image],
    ['box with y1 < y0', { box: { x0: 0, y0: 10, x1: 5, y1: 5 } }, image],
    ['unknown label', { points: [{ x: 1, y: 1, label: 'fg' }] }, image],
    ['empty prompt', {}, image],
    ['zero width', { points: [{ x: 0, y: 0, label: 'foreground' }] }, { width: 0, height: 10 }],
    ['negative height', { points: [{ x: 0, y: 0, label: 'foreground' }] }, { width: 10, height: -1 }],
    ['wrong mask size', { mask: { data: new Float32Array(4), width: 2, height: 2 } }, image],
  ])('rejects %s with INVALID_ARGUMENT', (_name, prompt, imageSize) => {
    let error: unknown;
    try {
      encodeSamPrompt(prompt as never, { imageSize });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PromptError);
    expect((error as PromptError).code).toBe('INVALID_ARGUMENT');
    expect((error as PromptError).name).toBe('PromptError');
  });
});
