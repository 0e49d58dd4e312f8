import { describe, expect, it } from 'vitest';
import { summarizeErrors } from '../../../test-utils/browser.js';

describe('summarizeErrors (browser page errors in failure messages)', () => {
  it('keeps distinct errors with counts, cuts long ones and the long tail', () => {
    const cascade = Array.from({ length: 3000 }, (_, i) => `[Invalid ComputePipeline "Op${i % 8}"] is invalid due to a previous error.`);
    const text = summarizeErrors(['f16 used without extension: ' + 'x'.repeat(2000), ...cascade]);
    expect(text.length).toBeLessThan(1500);
    expect(text.split('\n')[0]).toMatch(/^f16 used without extension: x+…$/);
    expect(text).toContain('"Op0"] is invalid due to a previous error. (×375)');
    expect(text).toContain('… and 1500 more errors (4 distinct)');
  });

  it('lists a few errors as they are', () => {
    expect(summarizeErrors(['a', 'b', 'a'])).toBe('a (×2)\nb');
  });
});
