import { SamClipError } from '../errors.js';

/**
 * Why `path` may not name a file inside a bundle, or undefined when it may. Paths are relative and
 * `/`-separated; `..`, `.` and empty segments, backslashes and colons are refused so that no source
 * (directory, URL prefix) can be steered outside the bundle root or onto another origin.
 */
export function bundlePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.startsWith('/')) return 'is absolute; bundle paths are relative to the bundle root';
  if (path.includes('\\')) return 'contains "\\"; bundle paths use "/"';
  if (path.includes(':')) return 'contains ":"; bundle paths may not name a scheme or drive';
  if (path.includes('?') || path.includes('#')) return 'contains "?" or "#"';
  for (const segment of path.split('/')) {
    if (segment === '..') return 'contains a ".." segment';
    if (segment === '.' || segment === '') return 'contains an empty or "." segment';
  }
  return undefined;
}

export function assertBundlePath(path: string): void {
  const problem = bundlePathProblem(path);
  if (problem) throw new SamClipError('INVALID_ARGUMENT', `bundle path "${path}" ${problem}`, { file: path });
}
