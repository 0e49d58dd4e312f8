import { existsSync } from 'node:fs';
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
