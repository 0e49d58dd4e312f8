import { readFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, bytesToUnicode } from './tokenizer.js';
import { cleanText } from './clean.js';
import { PromptError } from './errors.js';
import { clipVocabPath, haveClipData, readTokenizerCases } from './test-utils/shared-data.js';

const withData = haveClipData();

describe.skipIf(!withData)('ClipTokenizer with CLIP vocab (reference cases)', () => {
  const tokenizer = withData ? ClipTokenizer.fromVocabBytes(readFileSync(clipVocabPath)) : undefined;
  const cases = withData ? readTokenizerCases() : [];

  it('derives CLIP\'s id layout', () => {
    expect(tokenizer?.startToken).toBe(49406);
    expect(tokenizer?.endToken).toBe(49407);
    expect(tokenizer?.vocabSize).toBe(49408);
    expect(cases.length).toBe(400);
  });

  it('reproduces ids and context77 of every reference case', () => {
    const failures: string[] = [];
    for (const c of cases) {
      const ids = tokenizer!.tokenize(c.text);
      const row = Array.from(tokenizer!.encodePadded(c.text));
      if (JSON.stringify(ids) !== JSON.stringify(c.ids) || JSON.stringify(row) !== JSON.stringify(c.context77)) {
        failures.push(`${JSON.stringify(c.text)} cleaned=${JSON.stringify(cleanText(c.text))}\n  got  ${JSON.stringify(ids)}\n  want ${JSON.stringify(c.ids)}`);
      }
    }
    expect(failures.slice(0, 10).join('\n')).toBe('');
  });

  it('batch encodes to int32 and int64 rows of 77', () => {
    const texts = cases.slice(0, 5).map((c) => c.text);
    const i32 = tokenizer!.encodeBatch(texts);
    const i64 = tokenizer!.encodeBatchInt64(texts);
    expect(i32.length).toBe(5 * 77);
    expect(Array.from(i32.subarray(77, 154))).toEqual(cases[1]!.context77);
    expect(Array.from(i64, Number)).toEqual(Array.from(i32));
  });

  it('decodes ids back to the cleaned text', () => {
    expect(tokenizer!.decode(tokenizer!.encode('A photo of a Ｃａｔ.'))).toBe('a photo of a cat . ');
  });
});

describe('ClipTokenizer with a small vocab', () => {
  const merges = ['#version: test', 'c a', 'ca t</w>', 'd o', 'do g</w>'].join('\n');

  it('places start and end after the merges', () => {
    const tokenizer = ClipTokenizer.fromMergesText(merges);
    expect(tokenizer.startToken).toBe(512 + 4);
    expect(tokenizer.endToken).toBe(512 + 5);
    // Merge ids follow the 512 byte symbols: ca=512, cat</w>=513, do=514, dog</w>=515.
    expect(tokenizer.tokenize('cat dog')).toEqual([516, 513, 515, 517]);
    // An unmerged word falls back to byte symbols: 'x' is byte symbol 87, 'y</w>' is 256 + 88.
    expect(tokenizer.encode('xy')).toEqual([87, 344]);
  });

  it('maps bytes to printable symbols as GPT-2/CLIP do', () => {
    const table = bytesToUnicode();
    expect(table[0x21]).toBe('!');
    expect(table[0x20]).toBe('\u0120');
    expect(new Set(table).size).toBe(256);
  });

  it('reads gzip and plain bytes alike', () => {
    const plain = new TextEncoder().encode(merges);
    const a = ClipTokenizer.fromVocabBytes(plain).tokenize('dog cat');
    const b = ClipTokenizer.fromVocabBytes(gzipSync(plain)).tokenize('dog cat');
    expect(a).toEqual(b);
  });

  it('truncates keeping the end token last and pads with 0', () => {
    const tokenizer = ClipTokenizer.fromMergesText(merges, { contextLength: 4 });
    expect(Array.from(tokenizer.encodePadded('cat cat cat cat'))).toEqual([516, 513, 513, 517]);
    expect(Array.from(tokenizer.encodePadded('cat'))).toEqual([516, 513, 517, 0]);
    expect(Array.from(tokenizer.encodePadded('cat cat'))).toEqual([516, 513, 513, 517]);
    expect(Array.from(tokenizer.encodePadded('cat cat cat', 3))).toEqual([516, 513, 517]);
    expect(tokenizer.tokenize('cat cat cat cat')).toHaveLength(6);
    const padded = ClipTokenizer.fromMergesText(merges, { contextLength: 5, padToken: 7 });
    expect(Array.from(padded.encodeBatch(['cat', '']))).toEqual([516, 513, 517, 7, 7, 516, 517, 7, 7, 7]);
  });

  it('treats special token text as the special token, like the reference cache', () => {
    const tokenizer = ClipTokenizer.fromMergesText(merges);
    expect(tokenizer.tokenize('cat<|endoftext|>')).toEqual([516, 513, 517, 517]);
    expect(tokenizer.tokenize('<|startoftext|>')).toEqual([516, 516, 517]);
  });

  it('rejects malformed vocab and manifest disagreement with a typed error', () => {
    expect(() => ClipTokenizer.fromMergesText('#v\na b c')).toThrow(PromptError);
    expect(() => ClipTokenizer.fromMergesText(merges, { startToken: 49406 })).toThrow(/startToken 49406/);
    expect(() => ClipTokenizer.fromVocabBytes(new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).toThrow(PromptError);
  });
});
