// Browser side of tokenizer.browser.test.ts: bundled with the package source and run in Chromium.
import { ClipTokenizer } from '../index.js';

export interface BrowserTokenizerResult {
  text: string;
  ids: number[];
  context77: number[];
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Tokenizes every case text with the gzip vocab (unpacked by fflate inside the tokenizer). */
async function runTokenizerCases(vocabUrl: string, casesUrl: string): Promise<BrowserTokenizerResult[]> {
  const tokenizer = ClipTokenizer.fromVocabBytes(await fetchBytes(vocabUrl));
  const lines = new TextDecoder().decode(await fetchBytes(casesUrl)).split('\n').filter((line) => line.trim() !== '');
  return lines.map((line) => {
    const { text } = JSON.parse(line) as { text: string };
    return { text, ids: tokenizer.tokenize(text), context77: Array.from(tokenizer.encodePadded(text)) };
  });
}

/** The same vocab unpacked by the browser's own DecompressionStream and read as plain .txt bytes. */
async function tokenizeWithPlainVocab(vocabUrl: string, texts: string[]): Promise<number[][]> {
  const response = await fetch(vocabUrl);
  if (!response.ok || response.body === null) throw new Error(`GET ${vocabUrl} answered ${response.status}`);
  const plain = new Uint8Array(await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const tokenizer = ClipTokenizer.fromVocabBytes(plain);
  return texts.map((text) => tokenizer.tokenize(text));
}

Object.assign(globalThis, { samclipTokenizerTests: { runTokenizerCases, tokenizeWithPlainVocab } });
