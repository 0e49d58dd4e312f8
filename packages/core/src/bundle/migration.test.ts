import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isSamClipError } from '../errors.js';
import { MANIFEST_SCHEMA_VERSION } from './manifest.js';
import { loadBundleFromDirectory } from './node.js';

const fixture = fileURLToPath(new URL('../../../../fixtures/tiny-random/', import.meta.url));
const present = existsSync(path.join(fixture, 'samclip.json'));
if (!present && process.env['CI']) throw new Error(`${fixture}samclip.json is missing: regenerate it with the seeded export command in tools/`);

/**
 * The fixture as schema version 1 wrote it: the same files, but samclip.json without
 * `references.files` (version 1 did not list the task tensors).
 */
async function writeVersion1Copy(dir: string): Promise<string> {
  const bundle = path.join(dir, 'bundle-v1');
  await cp(fixture, bundle, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(bundle, 'samclip.json'), 'utf8')) as {
    schemaVersion: number;
    references: Record<string, unknown>;
  };
  manifest.schemaVersion = 1;
  delete manifest.references['files'];
  await writeFile(path.join(bundle, 'samclip.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return bundle;
}

describe.runIf(present)('manifest migration from schema version 1', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('loads a version-1 bundle as the current version: every graph verifies and runs its contract check', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'samclip-v1-'));
    dirs.push(dir);
    const bundle = await loadBundleFromDirectory(await writeVersion1Copy(dir), { verify: true });
    expect(MANIFEST_SCHEMA_VERSION).toBeGreaterThan(1);
    expect(bundle.manifest.schemaVersion).toBe(MANIFEST_SCHEMA_VERSION);
    for (const graph of bundle.graphNames()) expect((await bundle.readModel(graph)).graph.nodes.length).toBeGreaterThan(0);
    const refs = bundle.references();
    expect(await refs.tasks()).toHaveProperty('image');
    // Version 1 never hashed the task tensors, so they stay unreadable rather than unverified.
    const error = await refs.tensor('references/tasks/image.pb').catch((e: unknown) => e);
    expect(isSamClipError(error, 'NOT_FOUND')).toBe(true);
  });

  it('refuses a current-version manifest that names task references without listing their tensors', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'samclip-v2-'));
    dirs.push(dir);
    const bundle = await writeVersion1Copy(dir);
    const manifest = JSON.parse(await readFile(path.join(bundle, 'samclip.json'), 'utf8')) as { schemaVersion: number };
    manifest.schemaVersion = MANIFEST_SCHEMA_VERSION;
    await writeFile(path.join(bundle, 'samclip.json'), JSON.stringify(manifest));
    const error = await loadBundleFromDirectory(bundle).catch((e: unknown) => e);
    expect(isSamClipError(error, 'MANIFEST_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/references\.files/);
  });
});
