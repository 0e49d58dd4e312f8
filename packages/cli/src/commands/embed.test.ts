import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamClip } from '@samclip/core';
import { loadSamClip } from '@samclip/core/node';
import { TINY_RANDOM, cli, fixtureImage, registerOrtNodeOnly, tempDir, writeFixturePng } from './test-utils/task-cli.js';

const MODEL = ['--model', TINY_RANDOM, '--backend', 'ort-node'];

describe('samclip embed', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let imagePath: string;
  let model: SamClip;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('samclip-embed-'));
    imagePath = await writeFixturePng(dir);
    registerOrtNodeOnly();
    model = await loadSamClip(TINY_RANDOM, { backend: 'ort-node' });
  });
  afterAll(async () => {
    await model.dispose();
    await remove();
  });

  it('prints the unit image embedding SamClip.embedImage returns', async () => {
    const result = await cli(['embed', imagePath, ...MODEL, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { dim: number; embeddings: Array<{ kind: string; embedding: number[] }> };
    const api = await model.embedImage(fixtureImage());
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
    const api = await model.embedText(texts);
    texts.forEach((text, t) => {
      expect(lines[t * 2]).toBe(`text ${JSON.stringify(text)} (${api[t]!.length} dims, unit length)`);
      lines[t * 2 + 1]!.split(' ').map(Number).forEach((v, i) => expect(v).toBeCloseTo(api[t]![i]!, 6));
    });
  });

  it('refuses both an image and --text', async () => {
    const result = await cli(['embed', imagePath, ...MODEL, '--text', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^samclip: embed takes either an IMAGE or --text/);
  });
});
