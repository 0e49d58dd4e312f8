import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSamClipError } from '../errors.js';
import { loadBundle } from './load.js';
import { memorySource } from './source.js';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspectBundle } from './inspect.js';
import { loadBundleFromDirectory } from './node.js';

const fixture = fileURLToPath(new URL('../../../../fixtures/tiny-random/', import.meta.url));
const present = existsSync(`${fixture}samclip.json`);

describe('fixtures/tiny-random', () => {
  it('is present (committed by the exporter)', () => {
    if (!present && process.env['CI']) throw new Error(`${fixture}samclip.json is missing: regenerate it with the seeded export command in tools/`);
  });

  it.runIf(present)('loads, verifies every file and passes every contract', async () => {
    const bundle = await loadBundleFromDirectory(fixture, { verify: true });
    const report = await inspectBundle(bundle);
    expect(report.graphs.map((g) => g.role).sort()).toEqual([...bundle.graphNames().map((name) => bundle.graph(name).role)].sort());
    for (const graph of report.graphs) {
      for (const variant of graph.variants) expect(variant.parameters).toBeGreaterThan(0);
    }
  });

  it.runIf(present)('gives verified local paths of graph files, and refuses a changed file', async () => {
    const bundle = await loadBundleFromDirectory(fixture);
    const graph = bundle.graphNames()[0]!;
    const file = await bundle.graphFile(graph);
    expect(file).toBe(join(fixture, ...bundle.variant(graph).file.split('/')));
    const copy = await mkdtemp(join(tmpdir(), 'samclip-graphfile-'));
    try {
      await cp(fixture, copy, { recursive: true });
      const changed = await loadBundleFromDirectory(copy);
      const target = join(copy, ...changed.variant(graph).file.split('/'));
      const bytes = await readFile(target);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      await writeFile(target, bytes);
      const error = await changed.graphFile(graph).catch((e: unknown) => e);
      expect(isSamClipError(error, 'INTEGRITY')).toBe(true);
      expect((error as Error).message).toContain(changed.variant(graph).file);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
    const inMemory = await loadBundle(memorySource({ files: { 'samclip.json': await readFile(join(fixture, 'samclip.json')) } }));
    expect(await inMemory.graphFile(graph)).toBeUndefined();
  });

  it.runIf(present)('reads reference tensors named after the graph inputs', async () => {
    const bundle = await loadBundleFromDirectory(fixture);
    const refs = bundle.references();
    for (const graph of refs.graphs()) {
      const model = await bundle.readModel(graph);
      const inputs = await refs.inputs(graph);
      const inputNames = model.graph.inputs.map((vi) => vi.name);
      expect(inputs.length).toBeGreaterThan(0);
      for (const input of inputs) expect(inputNames).toContain(input.name);
      expect((await refs.outputs(graph)).length).toBeGreaterThan(0);
    }
    expect(await refs.tasks()).toHaveProperty('image');
  });
});
