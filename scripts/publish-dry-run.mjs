#!/usr/bin/env node
/**
 * npm run publish:dry-run: `npm publish --dry-run` for every public package (build first). Fails
 * when npm fails or warns about the package (for example when it would rewrite package.json at
 * publish time) or when the packed files fail the checks of lib/check-package.mjs (dev-only files,
 * missing entry points, undeclared imports); prints one line per package: name@version, files,
 * packed and unpacked size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPackedPackage } from './lib/check-package.mjs';
import { packPackages, publicPackages, repoRoot, run } from './lib/workspace.mjs';

// Warnings about the environment rather than the package: dry runs need no login, and the root
// .npmrc carries onnxruntime-node's install option for its postinstall script.
const IGNORED_WARNINGS = [/requires you to be logged in/, /Unknown project config "onnxruntime-node-install"/];

const failures = [];
for (const pkg of publicPackages()) {
  const workspace = path.relative(repoRoot, pkg.dir);
  let output;
  try {
    const { stdout, stderr } = await run('npm', ['publish', '--dry-run', '--json', '-w', workspace]);
    output = { stdout, stderr };
  } catch (error) {
    failures.push(`${pkg.name}: ${error.message}`);
    continue;
  }
  const warnings = output.stderr.split('\n').filter((line) => /^npm warn/i.test(line) && !IGNORED_WARNINGS.some((p) => p.test(line)));
  if (warnings.length > 0) failures.push(`${pkg.name}: npm warned:\n  ${warnings.join('\n  ')}`);
  const json = JSON.parse(output.stdout.slice(output.stdout.indexOf('{')));
  const report = json[pkg.name] ?? json;
  console.log(`${`${report.name}@${report.version}`.padEnd(28)} ${String(report.entryCount).padStart(4)} files  ${(report.size / 1024).toFixed(1).padStart(7)} kB packed  ${(report.unpackedSize / 1024).toFixed(1).padStart(7)} kB unpacked`);
}
const packDir = mkdtempSync(path.join(os.tmpdir(), 'samclip-pack-'));
try {
  for (const pkg of await packPackages(publicPackages(), packDir)) {
    for (const problem of checkPackedPackage(pkg)) failures.push(`${pkg.name}: ${problem}`);
  }
} finally {
  rmSync(packDir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`\npublish dry run failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
} else console.log('\nnpm publish --dry-run passed for every public package');
