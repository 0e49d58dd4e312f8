import { describe, expect, it } from 'vitest';
import { PromptError } from './errors.js';
import { BUILTIN_TEMPLATE_SETS, ensembleEmbeddings, expandTemplates, l2NormalizeRows, resolveTemplates } from './templates.js';

describe('template sets', () => {
  it('resolves built-in, bundle and user sets', () => {
    expect(resolveTemplates('single')).toEqual(['a photo of a {}.']);
    expect(resolveTemplates('ensemble')).toHaveLength(7);
    expect(resolveTemplates('default', { default: ['a {} photo.'] })).toEqual(['a {} photo.']);
    expect(resolveTemplates('single', { single: ['{}!'] })).toEqual(['{}!']);
    expect(resolveTemplates(['a sketch of a {}.'])).toEqual(['a sketch of a {}.']);
    expect(() => resolveTemplates('nope')).toThrow(/Unknown template set "nope"; use one of "single", "ensemble"/);
    expect(() => resolveTemplates(['no placeholder'])).toThrow(PromptError);
    expect(() => resolveTemplates('toString')).toThrow(PromptError);
  });

  it('expands several names per class, class-major', () => {
    const { texts, classIndex, numClasses } = expandTemplates(['cat', ['dog', 'puppy']], ['a {}.', 'the {}!']);
    expect(texts).toEqual(['a cat.', 'the cat!', 'a dog.', 'the dog!', 'a puppy.', 'the puppy!']);
    expect(Array.from(classIndex)).toEqual([0, 0, 1, 1, 1, 1]);
    expect(numClasses).toBe(2);
    expect(expandTemplates(['x'], BUILTIN_TEMPLATE_SETS['ensemble']!).texts[4]).toBe('a x in a video game.');
    expect(() => expandTemplates([[]], ['{}'])).toThrow(PromptError);
  });
});

describe('ensembleEmbeddings', () => {
  it('averages normalised rows per class and renormalises', () => {
    // Class 0: (3,4) and (0,10) → (0.6,0.8) and (0,1) → mean (0.3,0.9) → /|.| ; class 1: (-2,0) → (-1,0).
    const embeds = Float32Array.of(3, 4, 0, 10, -2, 0);
    const out = ensembleEmbeddings(embeds, 2, [0, 0, 1], 2);
    const n = Math.hypot(0.3, 0.9);
    expect(out[0]).toBeCloseTo(0.3 / n, 6);
    expect(out[1]).toBeCloseTo(0.9 / n, 6);
    expect(Array.from(out.subarray(2))).toEqual([-1, 0]);
  });

  it('normalises rows and rejects mismatched shapes', () => {
    expect(Array.from(l2NormalizeRows(Float32Array.of(0, 0, 3, 4), 2))).toEqual([0, 0, Math.fround(0.6), Math.fround(0.8)]);
    expect(() => ensembleEmbeddings(new Float32Array(6), 4, [0], 1)).toThrow(PromptError);
    expect(() => ensembleEmbeddings(new Float32Array(4), 2, [0, 0], 2)).toThrow(/Class 1 has no prompt embeddings/);
  });
});
