import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleForBrowser, haveChromium, withBrowserPage } from '../../../test-utils/browser.js';
import type { BrowserTokenizerResult } from './test-utils/browser-tokenizer-entry.js';
import { clipDataDir, haveClipData, readTokenizerCases } from './test-utils/shared-data.js';

const entry = fileURLToPath(new URL('./test-utils/browser-tokenizer-entry.ts', import.meta.url));
const runnable = haveChromium() && haveClipData();

interface TokenizerTestApi {
  runTokenizerCases(vocabUrl: string, casesUrl: string): Promise<BrowserTokenizerResult[]>;
  tokenizeWithPlainVocab(vocabUrl: string, texts: string[]): Promise<number[][]>;
}

describe.skipIf(!runnable)('ClipTokenizer in headless Chromium', () => {
  it('reproduces ids and context77 of every reference case', async () => {
    const cases = readTokenizerCases();
    const script = await bundleForBrowser(entry);
    const { results, plain } = await withBrowserPage({ script, mounts: { '/clip/': clipDataDir } }, async (page) => {
      await page.waitForFunction(() => 'samclipTokenizerTests' in globalThis);
      const vocabUrl = '/clip/bpe_simple_vocab_16e6.txt.gz';
      return page.evaluate(
        async ({ vocabUrl, sample }) => {
          const api = (globalThis as unknown as { samclipTokenizerTests: TokenizerTestApi }).samclipTokenizerTests;
          return {
            results: await api.runTokenizerCases(vocabUrl, '/clip/tokenizer-cases.jsonl'),
            plain: await api.tokenizeWithPlainVocab(vocabUrl, sample),
          };
        },
        { vocabUrl, sample: cases.slice(0, 20).map((c) => c.text) },
      );
    });

    expect(results).toHaveLength(cases.length);
    const mismatches = cases.filter((c, i) => {
      const got = results[i];
      return got === undefined || got.text !== c.text || JSON.stringify(got.ids) !== JSON.stringify(c.ids) || JSON.stringify(got.context77) !== JSON.stringify(c.context77);
    });
    expect(mismatches.map((c) => c.text)).toEqual([]);
    expect(plain).toEqual(cases.slice(0, 20).map((c) => c.ids));
  });
});
