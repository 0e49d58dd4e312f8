import { describe, expect, it } from 'vitest';
import { TINY_RANDOM, cli, fixtureImage, useTaskFixture } from './test-utils/task-cli.js';

const MODEL = ['--model', TINY_RANDOM, '--backend', 'ort-node'];

describe('samclip embed', () => {
  const fixture = useTaskFixture('samclip-embed-');

  it('prints the unit image embedding SamClip.embedImage returns', async () => {
    const result = await cli(['embed', fixture.imagePath, ...MODEL, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { dim: number; embeddings: Array<{ kind: string; embedding: number[] }> };
    const api = await fixture.model.embedImage(fixtureImage());
    expect(report.dim).toBe(api.length);
    expect(report.embeddings[0]!.kind).toBe('image');
    report.embeddings[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(api[i]!, 6));
  });

  it('prints one text embedding per --text', async () => {
    const texts = ['a red disc', 'a green rectangle'];
    const result = await cli(['embed', ...MODEL, '--text', texts[0]!, '--text', texts[1]!]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const api = await fixture.model.embedText(texts);
    texts.forEach((text, t) => {
      expect(lines[t * 2]).toBe(`text ${JSON.stringify(text)} (${api[t]!.length} dims, unit length)`);
      lines[t * 2 + 1]!.split(' ').map(Number).forEach((v, i) => expect(v).toBeCloseTo(api[t]![i]!, 6));
    });
  });

  it('refuses both an image and --text', async () => {
    const result = await cli(['embed', fixture.imagePath, ...MODEL, '--text', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^samclip: embed takes either an IMAGE or --text/);
  });
});
