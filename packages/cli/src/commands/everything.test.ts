import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { TINY_RANDOM, cli, fixtureImage, listDir, registerOrtNodeOnly, storedTasks, useTaskFixture } from './test-utils/task-cli.js';

const MODEL = ['--model', TINY_RANDOM, '--backend', 'ort-node'];
// The random fixture predicts low IoUs, so the filters are opened to get masks at all.
const OPEN_FILTERS = ['--points-per-side', '6', '--pred-iou-thresh', '-100', '--stability-score-thresh', '0'];

describe('samclip segment-everything', () => {
  const fixture = useTaskFixture('samclip-everything-');

  it('writes SamClip.segmentEverything\'s masks as amg.py-style COCO RLE records, labelled by CLIP', async () => {
    const { labels } = storedTasks().classify;
    const api = await fixture.model.segmentEverything(fixtureImage(), { pointsPerSide: 6, predIouThreshold: -100, stabilityScoreThreshold: 0, labels });
    expect(api.length).toBeGreaterThan(0);
    const out = path.join(fixture.dir, 'masks.json');
    const result = await cli(['everything', fixture.imagePath, ...MODEL, ...OPEN_FILTERS, '--labels', labels.join(','), '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${api.length} masks (${labels.map((l) => `${api.filter((m) => m.label?.label === l).length} ${l}`).join(', ')}) → ${out}\n`);
    const records = JSON.parse(readFileSync(out, 'utf8')) as Array<{ segmentation: { size: number[]; counts: string }; area: number; bbox: number[]; label: string; crop_box: number[] }>;
    expect(records).toHaveLength(api.length);
    records.forEach((r, i) => {
      expect(r.segmentation).toEqual(api[i]!.rle);
      expect(r.area).toBe(api[i]!.area);
      expect(r.bbox).toEqual(api[i]!.bbox);
      expect(r.label).toBe(api[i]!.label!.label);
      expect(r.crop_box).toEqual([0, 0, 160, 120]);
    });
  });

  it('Ctrl-C cancels between decoder runs: exit 130, one line, nothing written', async () => {
    const out = path.join(fixture.dir, 'cancelled.json');
    const before = await listDir(fixture.dir);
    const sigintListeners = process.listenerCount('SIGINT');
    let interrupted = false;
    // A TTY stderr gets the progress bar; its first frame stands in for the user pressing Ctrl-C.
    const stderr = {
      isTTY: true,
      columns: 100,
      text: '',
      write(chunk: string) {
        this.text += chunk;
        if (!interrupted && chunk.includes('points')) {
          interrupted = true;
          process.emit('SIGINT');
        }
        return true;
      },
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => undefined,
      removeListener: () => undefined,
    };
    const stdout = { text: '', write(chunk: string) { this.text += chunk; return true; } };
    const code = await runCli(['segment-everything', fixture.imagePath, ...MODEL, '--out', out], { stdout, stderr }, { loadBackends: async () => registerOrtNodeOnly() });
    expect(interrupted).toBe(true);
    expect(code).toBe(130);
    expect(stdout.text).toBe('');
    expect(stderr.text).toContain(`samclip: segment-everything cancelled; nothing was written to ${out}.\n`);
    expect(existsSync(out)).toBe(false);
    expect(await listDir(fixture.dir)).toEqual(before);
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
  });

  it('a bad threshold: one line naming the flag', async () => {
    const out = path.join(fixture.dir, 'never.json');
    const result = await cli(['segment-everything', fixture.imagePath, ...MODEL, '--pred-iou-thresh', 'high', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('samclip: --pred-iou-thresh must be a number, got "high".\n');
    expect(existsSync(out)).toBe(false);
  });
});
