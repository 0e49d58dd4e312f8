/**
 * Checks what a packed tarball holds, from npm's own file list and the built files: no dev-only
 * code, every entry point present, every import declared, every source map's sources shipped.
 */
import { readFileSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Files that must never be published: tests, test helpers, benchmarks, conformance tooling. */
const DEV_ONLY = [
  /\.(test|spec)\.[cm]?[jt]sx?(\.map)?$/,
  /\.(test|spec)\.d\.[cm]?ts(\.map)?$/,
  /(^|\/)test-utils\//,
  /(^|\/)__tests__\//,
  /(^|\/)bench\//,
  /(^|\/)conformance\//,
  /(^|\/)tsconfig(\.[a-z]+)?\.json$/,
  /\.tsbuildinfo$/,
];

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Bare module specifiers a built ES module imports (static, dynamic, require). */
export function importedSpecifiers(code) {
  const found = new Set();
  const patterns = [
    /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  // Comments may quote import statements (examples in TSDoc); only code counts.
  const stripped = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const pattern of patterns) for (const match of stripped.matchAll(pattern)) found.add(match[1]);
  return [...found];
}

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function exportTargets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField];
  if (exportsField === null || typeof exportsField !== 'object') return [];
  return Object.values(exportsField).flatMap(exportTargets);
}

/**
 * Problems with one packed package (`{ name, dir, manifest, files }` from packPackages); an empty
 * list means it is fit to publish.
 */
export function checkPackedPackage(pkg) {
  const problems = [];
  const files = new Set(pkg.files);
  const { manifest } = pkg;
  for (const file of files) {
    if (DEV_ONLY.some((pattern) => pattern.test(file))) problems.push(`ships dev-only file ${file}`);
  }
  files.add('package.json');
  const entries = [manifest.main, manifest.types, ...exportTargets(manifest.exports), ...Object.values(manifest.bin ?? {})].filter(Boolean);
  for (const entry of entries) {
    const normal = path.posix.normalize(entry);
    if (!files.has(normal)) problems.push(`entry point ${entry} is not in the tarball`);
  }
  if (!manifest.exports) problems.push('has no "exports" map');
  if (manifest.type !== 'module') problems.push('is not "type": "module"');
  if (!manifest.engines?.node) problems.push('has no engines.node');
  if (manifest.sideEffects === undefined && !manifest.bin) problems.push('does not declare "sideEffects"');
  for (const field of ['license', 'description']) {
    if (!manifest[field]) problems.push(`has no "${field}"`);
  }
  if (manifest.name.startsWith('@') && manifest.publishConfig?.access !== 'public') problems.push('is scoped but lacks publishConfig.access "public"');
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  for (const file of files) {
    const onDisk = path.join(pkg.dir, file);
    if (/\.[cm]?js$/.test(file)) {
      const code = readFileSync(onDisk, 'utf8');
      for (const specifier of importedSpecifiers(code)) {
        if (specifier.startsWith('.')) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
          if (!files.has(target)) problems.push(`${file} imports ${specifier}, which is not in the tarball`);
        } else if (!BUILTINS.has(specifier) && !declared.has(packageNameOf(specifier))) {
          problems.push(`${file} imports ${specifier}, which is not a dependency or peer dependency`);
        }
      }
      if (file.startsWith('dist/') && !file.endsWith('.map')) {
        // tsc never deletes outputs: a build file without its source is left over from removed code.
        const source = file.replace(/^dist\//, 'src/').replace(/\.([cm]?)js$/, '.$1ts');
        if (!existsSync(path.join(pkg.dir, source))) problems.push(`${file} has no source ${source} (stale build output: delete dist and rebuild)`);
        const types = file.replace(/\.([cm]?)js$/, '.d.$1ts');
        if (!files.has(types)) problems.push(`${file} has no type declarations (${types})`);
      }
    }
    if (file.endsWith('.map') && existsSync(onDisk)) {
      const map = JSON.parse(readFileSync(onDisk, 'utf8'));
      for (const source of map.sources ?? []) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), map.sourceRoot ?? '', source));
        if (!files.has(target)) problems.push(`${file} maps to ${target}, which is not in the tarball`);
      }
    }
  }
  return problems;
}
