import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_RANDOM, cli, fixtureImage, storedTasks, useTaskFixture } from './test-utils/task-cli.js';

const MODEL = ['--model', TINY_RANDOM, '--backend', 'ort-node'];

describe('samclip classify', () => {
  const fixture = useTaskFixture('samclip-classify-');

  it('gives the reference probabilities with the single template, and SamClip.classify\'s ranking', async () => {
    const { labels, probs } = storedTasks().classify;
    const result = await cli(['classify', fixture.imagePath, ...MODEL, '--labels', labels.join(','), '--templates', 'single', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { top: Array<{ label: string; score: number }>; probabilities: Record<string, number> };
    labels.forEach((label, i) => expect(report.probabilities[label], label).toBeCloseTo(probs[i]!, 4));
    const api = await fixture.model.classify(fixtureImage(), labels, { templates: 'single' });
    expect(report.top.map((t) => t.label)).toEqual(api.top.map((t) => t.label));
  });

  it('prints the top-k labels with the ensemble templates', async () => {
    const { labels } = storedTasks().classify;
    const api = await fixture.model.classify(fixtureImage(), labels, { templates: 'ensemble', topK: 2 });
    const result = await cli(['classify', fixture.imagePath, ...MODEL, '--labels', labels.join(','), '--templates', 'ensemble', '--top-k', '2']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    api.top.forEach((t, i) => expect(lines[i]).toMatch(new RegExp(`^${t.label} +${(t.score * 100).toFixed(2)}%$`)));
  });

  it('an empty label list: one line naming the problem, exit 1', async () => {
    const result = await cli(['classify', fixture.imagePath, ...MODEL, '--labels', '']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('samclip: --labels is empty; give comma-separated class names such as --labels "cat,dog".\n');
  });

  it('an unknown template set names the known ones', async () => {
    const result = await cli(['classify', fixture.imagePath, ...MODEL, '--labels', 'a,b', '--templates', 'fancy']);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/fancy.*ensemble/);
  });

  it('an image that is not there fails before the model loads', async () => {
    const result = await cli(['classify', path.join(fixture.dir, 'gone.png'), ...MODEL, '--labels', 'a,b']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`samclip: Image file not found: ${path.join(fixture.dir, 'gone.png')}.\n`);
    expect(existsSync(path.join(fixture.dir, 'gone.png'))).toBe(false);
  });
});
