import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, TINY_RANDOM, cli } from './test-utils/task-cli.js';
import type { BundleBench } from './bench.js';

const PAIR = path.join(REPO_ROOT, 'fixtures/tiny-random-sam-clip-pair');
const STAGES = ['encode', 'encodeCpu', 'firstPrompt', 'decodePerPrompt', 'clipImage', 'textPerLabel', 'total'];

describe('samclip bench', () => {
  it('measures a sam-clip bundle against its sam+clip baseline, side by side', async () => {
    const result = await cli(['bench', '--model', TINY_RANDOM, '--baseline', PAIR, '--backend', 'ort-node', '--runs', '3', '--warmup', '1', '--prompts', '3', '--labels', 'red disc,blue sky', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { runs: number; prompts: number; labels: string[]; image: { width: number }; bundles: BundleBench[] };
    expect(report.runs).toBe(3);
    expect(report.image.width).toBe(160);
    expect(report.bundles.map((b) => [b.name, b.kind, b.backend])).toEqual([
      ['tiny-random', 'sam-clip', 'ort-node'],
      ['tiny-random-sam-clip-pair', 'sam+clip', 'ort-node'],
    ]);
    for (const bundle of report.bundles) {
      expect(Object.keys(bundle.stages).sort()).toEqual([...STAGES].sort());
      for (const key of STAGES) {
        const s = bundle.stages[key as keyof BundleBench['stages']]!;
        expect(s.min, `${bundle.name} ${key}`).toBeGreaterThan(0);
        expect(s.min).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.max);
        expect(s.mean).toBeGreaterThanOrEqual(s.min);
        expect(s.mean).toBeLessThanOrEqual(s.max);
      }
      // Every prompt after each run's first is one sample; every other stage has one per run.
      expect(bundle.stages.decodePerPrompt.count).toBe(3 * 2);
      expect(bundle.stages.encode.count).toBe(3);
      // The total is the sum of its parts in every run, so its median cannot be below the encoder's minimum.
      expect(bundle.stages.total.median).toBeGreaterThan(bundle.stages.encode.min);
      expect(bundle.peakRssBytes).toBeGreaterThan(bundle.rssGrowthBytes);
      expect(bundle.coldMs).toBeGreaterThan(bundle.loadMs);
    }
  });

  it('prints a table with one column per bundle and their ratio', async () => {
    const result = await cli(['bench', '--model', TINY_RANDOM, '--model', PAIR, '--backend', 'ort-node', '--runs', '1', '--warmup', '0', '--prompts', '1', '--labels', 'a,b']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^samclip bench: 1 runs after 0 warm-up, 1 prompts and 2 labels per image, 160×120 image, backend ort-node$/);
    expect(lines[1]).toMatch(/^stage \(median, min–max\) +tiny-random \(sam-clip\) +tiny-random-sam-clip-pair \(sam\+clip\) +ratio 2\/1$/);
    for (const row of ['image encoder', 'prompt → best mask, per prompt', 'text encoder, per label', 'masks + labels, total', 'peak RSS']) {
      expect(lines.find((l) => l.startsWith(row)), row).toMatch(/\d+\.\d+×$/);
    }
    expect(lines.find((l) => l.startsWith('prompt → best mask, per prompt'))).toMatch(/ms \([\d.]+–[\d.]+; mean [\d.]+ of 1\)/);
  });

  it('times the SAM stages alone and the exported encoder on the bare engine (--no-clip --raw-engine)', async () => {
    const result = await cli(['bench', '--model', TINY_RANDOM, '--backend', 'ort-node', '--runs', '2', '--warmup', '1', '--prompts', '2', '--no-clip', '--raw-engine', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { bundles: BundleBench[] };
    const [bundle] = report.bundles;
    expect(Object.keys(bundle!.stages).sort()).toEqual(['decodePerPrompt', 'encode', 'encodeCpu', 'firstPrompt', 'total']);
    expect(bundle!.raw!.encodeCpu.min).toBeGreaterThan(0);
    expect(bundle!.raw).toMatchObject({ engine: 'onnxruntime-node', graph: 'backbone', variant: 'fp32' });
    expect(bundle!.raw!.encode.min).toBeGreaterThan(0);
    expect(bundle!.raw!.encode.min).toBeLessThanOrEqual(bundle!.raw!.encode.median);
    // A child process holding one small graph, and this process's high-water mark, both measured.
    expect(bundle!.raw!.processMaxRssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(bundle!.processMaxRssBytes).toBeGreaterThanOrEqual(bundle!.peakRssBytes * 0.5);

    const table = await cli(['bench', '--model', TINY_RANDOM, '--backend', 'ort-node', '--runs', '1', '--warmup', '0', '--prompts', '1', '--no-clip', '--raw-engine']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/1 prompts \(no CLIP\) per image/);
    expect(lines.find((l) => l.startsWith('text encoder'))).toBeUndefined();
    expect(lines.find((l) => l.startsWith('image encoder, bare engine'))).toMatch(/ms .*onnxruntime-node, backbone\.fp32$/);
    expect(lines.find((l) => l.startsWith('image encoder ÷ bare engine'))).toMatch(/wall \d+\.\d{3}×, CPU \d+\.\d{3}×$/);
  });

  it('with --prepare, the SAM neck and the decoder prefix count as encoding', async () => {
    const result = await cli(['bench', '--model', TINY_RANDOM, '--backend', 'ort-node', '--runs', '1', '--warmup', '0', '--prompts', '2', '--no-clip', '--prepare']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/2 prompts \(no CLIP\) per image \(encoded with prepare: 'segment'\)/);
    expect(lines.find((l) => l.startsWith('first prompt → best mask (prepared)'))).toMatch(/ms \(/);
    expect(lines.find((l) => l.includes('(+ SAM neck)'))).toBeUndefined();
  });

  it('rejects --runs 0 with one line', async () => {
    const result = await cli(['bench', '--model', TINY_RANDOM, '--runs', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('samclip: --runs must be a whole number ≥ 1, got "0".\n');
  });
});
