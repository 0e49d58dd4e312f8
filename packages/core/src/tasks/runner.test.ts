/**
 * The runner's per-role session options: the prompt decoder's session is created with
 * reuseMemory (it runs once per click), the other roles' sessions are not, and a choice the
 * caller made in sessionOptions wins.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Backend, InferenceSession, SessionOptions } from '../backend/types.js';
import { openBundle } from '../bundle/node.js';
import { GraphRunner } from './runner.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const FIXTURE = path.join(repoRoot, 'fixtures/tiny-random');
const present = existsSync(path.join(FIXTURE, 'samclip.json'));
if (!present && process.env.CI) throw new Error(`fixture missing: ${FIXTURE}; generate it with the exporter in tools/ before running CI.`);

/** A backend that records the options of every session it is asked for and runs nothing. */
function recordingBackend(): { backend: Backend; created: SessionOptions[] } {
  const created: SessionOptions[] = [];
  const session: InferenceSession = {
    inputs: [],
    outputs: [],
    run: async () => ({}),
    dispose: async () => {},
  };
  const backend: Backend = {
    init: async () => {},
    isSupported: async () => true,
    createSession: async (_model, options = {}) => {
      created.push(options);
      return session;
    },
    dispose: async () => {},
  };
  return { backend, created };
}

describe.runIf(present)('GraphRunner session options per role', () => {
  it('asks for reuseMemory on the prompt decoder only', async () => {
    const bundle = await openBundle(FIXTURE);
    const { backend, created } = recordingBackend();
    const runner = new GraphRunner(bundle, backend, 'recording', { sessionOptions: { threads: 1 } });
    await runner.run(runner.graphFor('prompt_decoder')!, {});
    await runner.run(runner.graphFor('backbone')!, {});
    expect(created).toEqual([{ threads: 1, reuseMemory: true }, { threads: 1 }]);
  });

  it('keeps the caller’s reuseMemory choice', async () => {
    const bundle = await openBundle(FIXTURE);
    const { backend, created } = recordingBackend();
    const runner = new GraphRunner(bundle, backend, 'recording', { sessionOptions: { reuseMemory: false } });
    await runner.run(runner.graphFor('prompt_decoder')!, {});
    expect(created).toEqual([{ reuseMemory: false }]);
  });
});
