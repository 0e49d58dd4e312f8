import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { paletteColor } from '@samclip/core';
import { TINY_RANDOM, cli, fixtureImage, readPng, storedTasks, useTaskFixture } from './test-utils/task-cli.js';

const MODEL = ['--model', TINY_RANDOM, '--backend', 'ort-node'];

describe('samclip segment-semantic', () => {
  const fixture = useTaskFixture('samclip-semantic-');

  for (const refine of ['none', 'sam'] as const) {
    it(`writes SamClip.segmentSemantic's label map in palette colours (--refine ${refine} --background)`, async () => {
      const { labels } = storedTasks().classify;
      const api = await fixture.model.segmentSemantic(fixtureImage(), labels, { refine, background: true });
      const out = path.join(fixture.dir, `labels-${refine}.png`);
      const result = await cli(['semseg', fixture.imagePath, ...MODEL, '--labels', labels.join(','), '--refine', refine, '--background', '--out', out, '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const png = readPng(out);
      const background = api.labels.length - 1;
      let mismatches = 0;
      for (let i = 0; i < api.labelMap.data.length; i++) {
        const c = api.labelMap.data[i]!;
        const expected = c === background ? [0, 0, 0] : paletteColor(c);
        if (png.data[i * 4] !== expected[0] || png.data[i * 4 + 1] !== expected[1] || png.data[i * 4 + 2] !== expected[2]) mismatches++;
      }
      expect(mismatches).toBe(0);
      const report = JSON.parse(result.stdout) as { classes: Array<{ label: string; area: number; score: number; color: number[] | null }> };
      expect(report.classes.map((c) => c.label)).toEqual([...labels, 'background']);
      report.classes.forEach((c, i) => {
        expect(c.area).toBe(api.classes[i]!.area);
        expect(c.score).toBeCloseTo(api.classes[i]!.score, 5);
      });
      expect(report.classes.at(-1)!.color).toBeNull();
    });
  }

  it('an empty label list: one line, exit 1, no label map written', async () => {
    const out = path.join(fixture.dir, 'never.png');
    const result = await cli(['segment-semantic', fixture.imagePath, ...MODEL, '--labels', ' , ', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('samclip: --labels is empty; give comma-separated class names such as --labels "cat,dog".\n');
    expect(existsSync(out)).toBe(false);
  });
});
