import type { Dim } from '@samclip/core';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

export function formatDims(shape: readonly Dim[] | undefined): string {
  if (!shape) return '[?rank]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}
