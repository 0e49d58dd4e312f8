/**
 * The release flow stays coherent: `changeset version` (run on a scratch copy of the workspace
 * manifests by scripts/changeset-check.mjs) moves every @samclip/* package to one next version,
 * updates internal ranges, writes changelogs and consumes the changesets.
 */
import { describe, expect, it } from 'vitest';
import { checkChangesetFlow } from './changeset-check.mjs';

describe('changeset version', () => {
  it('produces coherent versions and changelogs', async () => {
    const { expected, problems } = (await checkChangesetFlow()) as { expected: string; problems: string[] };
    expect(problems).toEqual([]);
    expect(expected).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
