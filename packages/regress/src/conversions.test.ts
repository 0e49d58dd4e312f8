import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSamClipError } from '@samclip/core';
import { loadBundleFromDirectory } from '@samclip/core/node';
import { convertBundles, parseConversion } from './conversions.js';
import { fixtureBundles, runMatrix } from './matrix.js';
import { parseTarget } from './targets.js';

const tinyRandom = fixtureBundles().find((dir) => path.basename(dir) === 'tiny-random');
if (!tinyRandom && process.env['CI'] === 'true') throw new Error('fixtures/tiny-random is missing: the quantized matrix cells are converted from it.');

describe('parseConversion', () => {
  it('reads precision:target and names what is wrong otherwise', () => {
    expect(parseConversion('int8:ort-node')).toEqual({ to: 'int8', target: 'ort-node' });
    expect(parseConversion('fp16:tfjs')).toEqual({ to: 'fp16', target: 'tfjs' });
    for (const bad of ['int8', 'int3:ort-node', 'int8:cuda', 'fp32:ort-node', 'int8:ort-node:x']) {
      let error: unknown;
      try {
        parseConversion(bad);
      } catch (caught) {
        error = caught;
      }
      expect(isSamClipError(error, 'INVALID_ARGUMENT'), bad).toBe(true);
      expect((error as Error).message).toContain(`"${bad}"`);
    }
  });
});

describe.skipIf(!tinyRandom)('converted variants in the matrix', () => {
  it('converts into a temporary copy that dispose removes, leaving the fixture untouched', async () => {
    const before = (await loadBundleFromDirectory(tinyRandom!)).variants('backbone');
    const converted = await convertBundles([tinyRandom!], [{ to: 'int8', target: 'ort-node' }, { to: 'int8', target: 'tfjs' }]);
    const copy = converted.copies.get(tinyRandom!)!;
    try {
      const bundle = await loadBundleFromDirectory(copy);
      expect(bundle.variants('backbone')).toEqual(['fp32', 'int8', 'int8-tfjs']);
      expect(bundle.variant('backbone', 'int8-tfjs').target).toBe('tfjs');
    } finally {
      await converted.dispose();
    }
    expect(existsSync(copy)).toBe(false);
    expect((await loadBundleFromDirectory(tinyRandom!)).variants('backbone')).toEqual(before);
  });

  it('runs each converted variant on its target columns only, and it passes there', async () => {
    const result = await runMatrix({
      bundles: [tinyRandom!],
      conversions: { bundles: [tinyRandom!], conversions: [{ to: 'int8', target: 'ort-node' }, { to: 'int8', target: 'tfjs' }] },
      targets: [parseTarget('ort-node'), parseTarget('tfjs-wasm')],
      runs: 1,
    });
    const cells = result.cells.map((cell) => `${cell.variant}@${cell.target}:${cell.status}`);
    expect(cells.sort()).toEqual(['fp32@ort-node:pass', 'fp32@tfjs-wasm:pass', 'int8-tfjs@tfjs-wasm:pass', 'int8@ort-node:pass']);
    expect(result.conversions).toEqual({ 'fixtures/tiny-random': ['int8:ort-node', 'int8:tfjs'] });
  });
});
