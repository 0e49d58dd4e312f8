/**
 * Shared helpers of the release scripts: where the repository is, which packages are published,
 * running commands, packing tarballs.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every workspace package under packages/, with its package.json; `private` ones are never published. */
export function workspacePackages() {
  const dir = path.join(repoRoot, 'packages');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'package.json')))
    .map((entry) => {
      const pkgDir = path.join(dir, entry.name);
      const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
      return { name: manifest.name, dir: pkgDir, manifest };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function publicPackages() {
  return workspacePackages().filter((pkg) => pkg.manifest.private !== true);
}

/**
 * Runs a command; resolves with its output, rejects naming the command and its output tail on a
 * non-zero exit. `echo: true` streams the output as well.
 */
export function run(command, args, { cwd = repoRoot, env = process.env, echo = false, timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (echo) process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else {
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
        const error = new Error(`\`${command} ${args.join(' ')}\` in ${cwd} failed (${signal ?? `exit ${code}`}):\n${tail}`);
        Object.assign(error, { stdout, stderr, code });
        reject(error);
      }
    });
  });
}

/**
 * `npm pack` of each package into `destination`; returns, per package, the tarball path and the
 * files it holds (npm's own list, so `files` and `.npmignore` are applied exactly as on publish).
 */
export async function packPackages(packages, destination) {
  const args = ['pack', '--json', '--pack-destination', destination, ...packages.flatMap((pkg) => ['-w', path.relative(repoRoot, pkg.dir)])];
  const { stdout } = await run('npm', args);
  const reports = JSON.parse(stdout.slice(stdout.indexOf('[')));
  return reports.map((report) => {
    const pkg = packages.find((p) => p.name === report.name);
    if (!pkg) throw new Error(`npm pack reported an unexpected package ${report.name}`);
    return { ...pkg, tarball: path.join(destination, report.filename), files: report.files.map((f) => f.path), size: report.size, unpackedSize: report.unpackedSize };
  });
}
