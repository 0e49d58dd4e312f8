import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';

const fixture = resolve(import.meta.dirname, '../../../../fixtures/tiny-random');

function sink() {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), get text() { return text; } };
}

describe('samclip convert', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writes an int8 variant into a copy of the bundle and prints the JSON report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samclip-convert-'));
    dirs.push(dir);
    const bundle = join(dir, 'bundle');
    await cp(fixture, bundle, { recursive: true });
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(['convert', bundle, '--to', 'int8', '--target', 'ort-node', '--json'], { stdout, stderr });
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text) as { passed: boolean; variant: string; totals: { ratio: number }; graphs: { validation?: { reference: string } }[] };
    expect(report.passed).toBe(true);
    expect(report.variant).toBe('int8');
    expect(report.graphs.map((g) => g.validation?.reference)).toEqual(report.graphs.map(() => 'stored-outputs'));
    expect(report.totals.ratio).toBeLessThan(0.6);
    const manifest = JSON.parse(await readFile(join(bundle, 'samclip.json'), 'utf8')) as { graphs: Record<string, { variants: Record<string, unknown> }> };
    for (const graph of Object.values(manifest.graphs)) expect(Object.keys(graph.variants)).toContain('int8');
  });

  it('--validate-against run compares with the fp32 graph run beside the variant', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samclip-convert-'));
    dirs.push(dir);
    const bundle = join(dir, 'bundle');
    await cp(fixture, bundle, { recursive: true });
    const stdout = sink();
    const code = await runCli(['convert', bundle, '--to', 'fp16', '--validate-against', 'run', '--json'], { stdout, stderr: sink() });
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text) as { graphs: { validation?: { reference: string } }[] };
    expect(report.graphs.map((g) => g.validation?.reference)).toEqual(report.graphs.map(() => 'fp32-run'));
  });

  it('rejects an unknown precision with one line and exit 1', async () => {
    const stdout = sink();
    const stderr = sink();
    const code = await runCli(['convert', fixture, '--to', 'int3'], { stdout, stderr });
    expect(code).toBe(1);
    expect(stderr.text.trim().split('\n')).toHaveLength(1);
    expect(stderr.text).toMatch(/int3/);
  });
});
