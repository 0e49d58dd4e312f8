#!/usr/bin/env node
/**
 * npm run changeset:check: exercises the release flow without touching the repository. Copies the
 * workspace manifests and .changeset/ into a temporary directory, adds two changesets (a minor for
 * @samclip/core, a patch for @samclip/prompts), runs `changeset version` there, and checks the result:
 * every @samclip/* package moves to the same next version (the fixed group), internal dependency
 * ranges follow, each public package gets a CHANGELOG.md entry naming the change, and the
 * changesets are consumed. Exits non-zero with the problems listed otherwise.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, run, workspacePackages } from './lib/workspace.mjs';

const CHANGESETS = {
  'core-minor.md': { packages: { '@samclip/core': 'minor' }, summary: 'Consumer check: a minor change to core.' },
  'prompts-patch.md': { packages: { '@samclip/prompts': 'patch' }, summary: 'Consumer check: a patch to prompts.' },
};

function bump(version, kind) {
  const [major, minor, patch] = version.split('.').map(Number);
  // Below 1.0.0 changesets keeps the bump kinds as they are: minor 0.1.0 → 0.2.0.
  if (kind === 'major') return `${major + 1}.0.0`;
  if (kind === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** Runs the flow in a scratch copy; resolves with the problems found (empty when coherent). */
export async function checkChangesetFlow({ log = () => {} } = {}) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'samclip-changeset-'));
  const problems = [];
  try {
    cpSync(path.join(repoRoot, 'package.json'), path.join(scratch, 'package.json'));
    cpSync(path.join(repoRoot, '.changeset'), path.join(scratch, '.changeset'), { recursive: true });
    // The changelog generator named in .changeset/config.json is resolved from node_modules.
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
    const before = workspacePackages();
    for (const pkg of before) {
      const dir = path.join(scratch, path.relative(repoRoot, pkg.dir));
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(pkg.dir, 'package.json'), path.join(dir, 'package.json'));
    }
    for (const [file, { packages, summary }] of Object.entries(CHANGESETS)) {
      const header = Object.entries(packages).map(([name, kind]) => `'${name}': ${kind}`).join('\n');
      writeFileSync(path.join(scratch, '.changeset', file), `---\n${header}\n---\n\n${summary}\n`);
    }
    const { stdout, stderr } = await run(path.join(repoRoot, 'node_modules/.bin/changeset'), ['version'], { cwd: scratch });
    log(`${stdout}${stderr}`.trim());

    const versions = new Set(before.map((pkg) => pkg.manifest.version));
    if (versions.size !== 1) problems.push(`before versioning the packages disagree on the version: ${[...versions].join(', ')}`);
    const strongest = Object.values(CHANGESETS).flatMap((c) => Object.values(c.packages)).includes('major') ? 'major' : 'minor';
    const expected = bump([...versions][0], strongest);
    const after = before.map((pkg) => ({ ...pkg, next: JSON.parse(readFileSync(path.join(scratch, path.relative(repoRoot, pkg.dir), 'package.json'), 'utf8')) }));
    for (const pkg of after) {
      if (pkg.next.version !== expected) problems.push(`${pkg.name} is at ${pkg.next.version}; the fixed group should move every package to ${expected}`);
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
        for (const [dep, range] of Object.entries(pkg.next[field] ?? {})) {
          if (after.some((other) => other.name === dep) && !range.includes(expected)) {
            problems.push(`${pkg.name} ${field}.${dep} is still "${range}" after versioning to ${expected}`);
          }
        }
      }
      const changelogPath = path.join(scratch, path.relative(repoRoot, pkg.dir), 'CHANGELOG.md');
      if (pkg.manifest.private) continue;
      if (!existsSync(changelogPath)) {
        problems.push(`${pkg.name} got no CHANGELOG.md`);
        continue;
      }
      const changelog = readFileSync(changelogPath, 'utf8');
      if (!changelog.includes(`## ${expected}`)) problems.push(`${pkg.name} CHANGELOG.md has no "## ${expected}" section`);
      for (const { packages, summary } of Object.values(CHANGESETS)) {
        if (packages[pkg.name] && !changelog.includes(summary)) problems.push(`${pkg.name} CHANGELOG.md lacks its changeset "${summary}"`);
      }
    }
    const left = readdirSync(path.join(scratch, '.changeset')).filter((file) => file in CHANGESETS);
    if (left.length > 0) problems.push(`changeset version left ${left.join(', ')} unconsumed`);
    return { expected, problems };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { expected, problems } = await checkChangesetFlow({ log: (text) => console.log(text) });
  if (problems.length > 0) {
    console.error(`changeset flow is incoherent:\n${problems.join('\n')}`);
    process.exitCode = 1;
  } else console.log(`changeset version moved every @samclip/* package to ${expected} with changelogs; the flow is coherent`);
}
