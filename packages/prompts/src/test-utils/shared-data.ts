import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const clipDataDir = path.resolve(repoRoot, '../shared/data/clip');
export const clipVocabPath = path.join(clipDataDir, 'bpe_simple_vocab_16e6.txt.gz');
export const tokenizerCasesPath = path.join(clipDataDir, 'tokenizer-cases.jsonl');

export interface TokenizerCase {
  text: string;
  ids: number[];
  context77: number[];
}

/**
 * Whether the shared CLIP data is present. Under CI its absence is an error (nothing may be
 * skipped there); locally the caller skips.
 */
export function haveClipData(): boolean {
  const present = existsSync(clipVocabPath) && existsSync(tokenizerCasesPath);
  if (!present && process.env['CI'] === 'true') {
    throw new Error(`CLIP tokenizer data is missing: expected ${clipVocabPath} and ${tokenizerCasesPath} (the shared data directory next to the repository).`);
  }
  return present;
}

export function readTokenizerCases(): TokenizerCase[] {
  return readFileSync(tokenizerCasesPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TokenizerCase);
}
