import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { REPO_ROOT, readPng, tempDir } from './test-utils/task-cli.js';
import { defaultModelLocation } from './task-support.js';

interface Summary {
  model: { name: string };
  backend: string;
  image: { width: number; height: number };
  timings: Array<{ stage: string; ms: number }>;
  graphRuns: Record<string, number>;
  files: string[];
}

/** The files a demo run printed under "wrote:", checked to exist, be non-empty and match the summary. */
function checkWrittenFiles(stdout: string, out: string): Summary {
  const written = stdout.split('wrote:\n')[1]?.trim().split('\n').map((line) => line.trim()) ?? [];
  expect(written.length).toBeGreaterThanOrEqual(8);
  for (const file of written) {
    expect(path.dirname(path.resolve(file)), file).toBe(path.resolve(out));
    expect(existsSync(file), file).toBe(true);
    expect(statSync(file).size, file).toBeGreaterThan(0);
  }
  const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
  expect(summary.files.sort()).toEqual(written.map((f) => path.basename(f)).sort());
  for (const overlay of written.filter((f) => f.endsWith('.png'))) {
    const png = readPng(overlay);
    expect([png.width, png.height], overlay).toEqual([summary.image.width, summary.image.height]);
  }
  return summary;
}

describe('samclip demo', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('samclip-demo-')));
  afterAll(async () => remove());

  it('runs every task on the default model from one encoding and writes the files it names', async () => {
    const out = path.join(dir, 'in-process');
    const stdout = { text: '', write(chunk: string) { this.text += chunk; return true; } };
    const stderr = { text: '', write(chunk: string) { this.text += chunk; return true; } };
    const start = performance.now();
    const code = await runCli(['demo', '--out', out], { stdout, stderr });
    const seconds = (performance.now() - start) / 1000;
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const summary = checkWrittenFiles(stdout.text, out);
    expect(summary.model.name).toBe((JSON.parse(readFileSync(path.join(defaultModelLocation(), 'samclip.json'), 'utf8')) as { name: string }).name);
    expect(stdout.text).toContain(`on ${summary.backend}`);
    // One encoder pass serves segment, classify, semantic segmentation and segment-everything.
    expect(summary.graphRuns['backbone'] ?? summary.graphRuns['sam_encoder']).toBe(1);
    console.info(`samclip demo (in-process, ${summary.model.name} on ${summary.backend}) took ${seconds.toFixed(1)} s`);
  });

  // The published entry point: under CI the packages are built first, so dist must be there.
  const bin = path.join(REPO_ROOT, 'packages/cli/bin/samclip.js');
  const built = existsSync(path.join(REPO_ROOT, 'packages/cli/dist/commands/demo.js'));
  if (!built && process.env['CI']) throw new Error(`packages/cli/dist (with the demo command) is missing; run \`npx turbo run build\` before the tests under CI.`);
  it.skipIf(!built)('the npm bin (packages/cli/bin/samclip.js) runs demo --out DIR', async () => {
    const out = path.join(dir, 'bin');
    const start = performance.now();
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'demo', '--out', out], { cwd: REPO_ROOT, timeout: 120_000 });
    const seconds = (performance.now() - start) / 1000;
    expect(stderr).not.toMatch(/samclip:/);
    checkWrittenFiles(stdout, out);
    console.info(`samclip demo through the npm bin took ${seconds.toFixed(1)} s`);
  });
});
