import { it, expect } from 'vitest';
import { resolveBackend } from '../index.js';
import { openBundle } from '../node.js';
import { registerOrtNodeBackends } from '../../../backend-ort/src/node.js';
it('readme example', async () => {
  const bundle = await openBundle('/tmp/samclip-export-sam-clip');
  console.log(bundle.kind, bundle.graphNames(), bundle.variants('prompt_decoder'));
  const model = await bundle.readModel('prompt_decoder');
  console.log(model.graph.inputs.map((input) => input.name));
  registerOrtNodeBackends();
  const { name, backend, fallbacks } = await resolveBackend('auto');
  const session = await backend.createSession(await bundle.readGraph('prompt_decoder'));
  console.log(name, fallbacks, session.inputs.map((i) => i.name));
  await session.dispose();
  expect(name).toBe('ort-node');
});
