import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONVERTER_VERSION } from './version.js';

describe('converter version', () => {
  it('matches package.json, since provenance records it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(CONVERTER_VERSION).toBe(pkg.version);
  });
});
