import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTensor, maskIoU } from '@samclip/core';
import { TINY_RANDOM, cli, corruptJpeg, fixtureImage, fixtureTensor, jpegClaiming, listDir, readMaskPng, storedTasks, useTaskFixture, zeroSizePng } from './test-utils/task-cli.js';

const MODEL = ['--model', TINY_RANDOM, '--backend', 'ort-node'];

describe('samclip segment', () => {
  const fixture = useTaskFixture('samclip-segment-');

  it('reproduces the reference point, box and mask-prompt masks and picks the same mask', async () => {
    const tasks = storedTasks();
    expect(tasks.segment.map((c) => c.name).sort()).toEqual(['box', 'mask', 'point']);
    for (const c of tasks.segment) {
      const out = path.join(fixture.dir, `ref-${c.name}.png`);
      const argv = ['segment', fixture.imagePath, ...MODEL, '--out', out, '--json'];
      c.points?.forEach(([x, y], i) => argv.push('--point', `${x},${y},${c.labels?.[i] ?? 1}`));
      if (c.box) argv.push('--box', c.box.join(','));
      if (c.maskInput) argv.push('--mask-input', path.join(TINY_RANDOM, c.maskInput));
      const result = await cli(argv);
      expect(result.stderr, c.name).toBe('');
      expect(result.code, c.name).toBe(0);
      const report = JSON.parse(result.stdout) as { multimask: boolean; best: number };
      // The CLI's choice of output (multimask for a lone point) is the one the reference made.
      expect(report.multimask, c.name).toBe(c.multimask);
      expect(report.best, c.name).toBe(c.best);
      const reference = fixtureTensor(c.masks);
      const [, height, width] = reference.dims as [number, number, number];
      const refBest = { width, height, data: (reference.data as Uint8Array).subarray(c.best * width * height, (c.best + 1) * width * height) };
      expect(maskIoU(readMaskPng(out), refBest), c.name).toBeGreaterThanOrEqual(0.999);
    }
  });

  it('writes the masks SamClip.segment returns, all three with --multimask, and its logits for a later --mask-input', async () => {
    const image = fixtureImage();
    const prompt = { points: [{ x: 100, y: 40, label: 'foreground' as const }, { x: 20, y: 100, label: 'background' as const }] };
    const api = await fixture.model.segment(image, prompt, { multimask: true });
    const out = path.join(fixture.dir, 'multi.png');
    const logits = path.join(fixture.dir, 'multi-logits.pb');
    const result = await cli(['segment', fixture.imagePath, ...MODEL, '--point', '100,40', '--point', '20,100,bg', '--multimask', '--out', out, '--logits-out', logits]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    api.masks.forEach((mask, k) => {
      expect(Buffer.from(readMaskPng(path.join(fixture.dir, `multi-${k}.png`)).data).equals(Buffer.from(mask.data)), `mask ${k}`).toBe(true);
      expect(result.stdout).toContain(`mask ${k}  IoU ${api.scores[k]!.toFixed(4)}`);
    });
    expect(result.stdout).toContain(`best  → ${path.join(fixture.dir, `multi-${api.best}.png`)}`);
    const stored = decodeTensor(new Uint8Array(readFileSync(logits))).tensor;
    expect(stored.dims).toEqual([1, 1, 64, 64]);
    expect(Array.from(stored.data as Float32Array)).toEqual(Array.from(api.lowResLogits[api.best]!.data));

    const refined = await fixture.model.segment(image, { points: [prompt.points[0]!], mask: api.lowResLogits[api.best]! }, { multimask: false });
    const refinedOut = path.join(fixture.dir, 'refined.png');
    const second = await cli(['segment', fixture.imagePath, ...MODEL, '--point', '100,40', '--mask-input', logits, '--out', refinedOut]);
    expect(second.code).toBe(0);
    expect(Buffer.from(readMaskPng(refinedOut).data).equals(Buffer.from(refined.masks[0]!.data))).toBe(true);
  });

  describe('bad inputs: one line naming the problem, non-zero exit, no output file', () => {
    async function expectFailure(argv: string[], out: string, problem: RegExp): Promise<void> {
      const before = await listDir(fixture.dir);
      const result = await cli(argv);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^samclip: /);
      expect(lines[0]).toMatch(problem);
      expect(existsSync(out)).toBe(false);
      expect(await listDir(fixture.dir)).toEqual(before);
    }

    it('a missing image file', async () => {
      const out = path.join(fixture.dir, 'missing-out.png');
      await expectFailure(['segment', path.join(fixture.dir, 'no-such.jpg'), ...MODEL, '--point', '10,10', '--out', out], out, /not found: .*no-such\.jpg/);
    });

    it('a corrupt JPEG', async () => {
      const bad = path.join(fixture.dir, 'corrupt.jpg');
      await writeFile(bad, corruptJpeg());
      const out = path.join(fixture.dir, 'corrupt-out.png');
      await expectFailure(['segment', bad, ...MODEL, '--point', '10,10', '--out', out], out, /corrupt\.jpg: corrupt JPEG/);
    });

    it('a 0×0 image', async () => {
      const bad = path.join(fixture.dir, 'empty.png');
      await writeFile(bad, zeroSizePng());
      const out = path.join(fixture.dir, 'empty-out.png');
      await expectFailure(['segment', bad, ...MODEL, '--point', '10,10', '--out', out], out, /empty\.png is empty \(0×0 pixels\)/);
    });

    it('a header claiming 50,000×50,000 pixels', async () => {
      const bad = path.join(fixture.dir, 'huge.jpg');
      await writeFile(bad, jpegClaiming(50_000, 50_000));
      const out = path.join(fixture.dir, 'huge-out.png');
      await expectFailure(['segment', bad, ...MODEL, '--point', '10,10', '--out', out], out, /50000×50000 .*over the limit/);
    });

    it('an image over --max-pixels', async () => {
      const out = path.join(fixture.dir, 'limit-out.png');
      await expectFailure(['segment', fixture.imagePath, ...MODEL, '--max-pixels', '10000', '--point', '10,10', '--out', out], out, /image\.png is 160×120 .*over the limit/);
    });

    it('NaN coordinates', async () => {
      const out = path.join(fixture.dir, 'nan-out.png');
      await expectFailure(['segment', fixture.imagePath, ...MODEL, '--point', 'NaN,10', '--out', out], out, /--point "NaN,10": x is "NaN", not a finite number/);
    });

    it('a box with x1 < x0', async () => {
      const out = path.join(fixture.dir, 'box-out.png');
      await expectFailure(['segment', fixture.imagePath, ...MODEL, '--box', '100,10,20,50', '--out', out], out, /--box "100,10,20,50": x1 \(20\) is left of x0 \(100\)/);
    });

    it('a point outside the image (rejected by the prompt encoder after decoding)', async () => {
      const out = path.join(fixture.dir, 'outside-out.png');
      await expectFailure(['segment', fixture.imagePath, ...MODEL, '--point', '500,10', '--out', out], out, /500/);
    });

    it('no prompt at all', async () => {
      const out = path.join(fixture.dir, 'none-out.png');
      await expectFailure(['segment', fixture.imagePath, ...MODEL, '--out', out], out, /needs a prompt/);
    });
  });
});
