import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runTokenize } from './tokenize.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const clipDir = path.resolve(repoRoot, '../shared/data/clip');
const vocabPath = path.join(clipDir, 'bpe_simple_vocab_16e6.txt.gz');
const casesPath = path.join(clipDir, 'tokenizer-cases.jsonl');
const haveData = existsSync(vocabPath) && existsSync(casesPath);
if (!haveData && process.env['CI'] === 'true') {
  throw new Error(`CLIP tokenizer data is missing: expected ${vocabPath} and ${casesPath}.`);
}

async function* chunks(text: string, size = 4096): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function run(args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await runTokenize(args, {
    stdin: chunks(stdin),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'samclip-tokenize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!haveData)('samclip tokenize on the reference cases', () => {
  it('reproduces ids and context77 of every case from --jsonl stdin', async () => {
    const input = readFileSync(casesPath, 'utf8');
    const cases = input.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { text: string; ids: number[]; context77: number[] });
    const { code, stderr, lines } = await run(['--vocab', vocabPath, '--jsonl'], input);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines).toEqual(cases.map((c) => ({ text: c.text, ids: c.ids, context77: c.context77 })));
  });

  it('takes texts as arguments and a custom context length', async () => {
    const { code, lines } = await run(['--vocab', vocabPath, '--context', '5', 'a photo of a cat.', 'dog']);
    expect(code).toBe(0);
    expect(lines).toEqual([
      { text: 'a photo of a cat.', ids: [49406, 320, 1125, 539, 320, 2368, 269, 49407], context5: [49406, 320, 1125, 539, 49407] },
      { text: 'dog', ids: [49406, 1929, 49407], context5: [49406, 1929, 49407, 0, 0] },
    ]);
  });
});

describe('samclip tokenize with a bundle and on errors', () => {
  const bundle = path.join(tmp, 'bundle');
  const merges = '#version: test\nc a\nca t</w>\n';
  const writeBundle = (tokenizer: Record<string, unknown>) => {
    rmSync(bundle, { recursive: true, force: true });
    const dir = path.join(bundle, 'tokenizer');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'bpe_vocab.txt'), merges);
    writeFileSync(path.join(bundle, 'samclip.json'), JSON.stringify({ schemaVersion: 1, tokenizer }));
  };

  it('reads tokenizer.vocab.file and contextLength from samclip.json', async () => {
    // Two merges plus the empty merge of the trailing newline (as in CLIP's reader): start 515, end 516.
    writeBundle({ type: 'clip-bpe', vocab: { file: 'tokenizer/bpe_vocab.txt' }, contextLength: 4, startToken: 515, endToken: 516, padToken: 0 });
    const { code, stderr, lines } = await run(['--model', bundle, 'cat cat cat']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines).toEqual([{ text: 'cat cat cat', ids: [515, 513, 513, 513, 516], context4: [515, 513, 513, 516] }]);
  });

  it('fails when samclip.json and the vocab disagree on the special tokens', async () => {
    writeBundle({ type: 'clip-bpe', vocab: { file: 'tokenizer/bpe_vocab.txt' }, contextLength: 77, startToken: 49406, endToken: 49407 });
    const { code, stderr } = await run(['--model', bundle, 'cat']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^samclip tokenize: .*startToken 49406.*\n$/);
  });

  it('names a missing vocab file in one line', async () => {
    const { code, stderr, stdout } = await run(['--vocab', path.join(tmp, 'missing.txt.gz'), 'cat']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`samclip tokenize: vocab file ${path.join(tmp, 'missing.txt.gz')} does not exist.\n`);
  });

  it('names the line number of a bad JSON line', async () => {
    writeBundle({ type: 'clip-bpe', vocab: { file: 'tokenizer/bpe_vocab.txt' }, startToken: 515, endToken: 516 });
    const { code, stderr, lines } = await run(['--model', bundle, '--jsonl'], '{"text": "cat"}\n\n{"text": oops}\n');
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(stderr).toMatch(/^samclip tokenize: stdin line 3 is not valid JSON/);
    const noText = await run(['--model', bundle, '--jsonl'], '{"txt": "cat"}\n');
    expect(noText.stderr).toMatch(/stdin line 1 has no string "text" field/);
  });

  it('rejects contradictory or missing inputs', async () => {
    expect((await run(['cat'])).stderr).toMatch(/pass --vocab FILE .* or --model BUNDLE/);
    expect((await run(['--vocab', 'x', '--jsonl', 'cat'])).code).toBe(1);
    expect((await run(['--vocab', 'x', '--context', '1', 'cat'])).code).not.toBe(0);
  });
});
