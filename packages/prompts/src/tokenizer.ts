import { gunzipSync } from 'fflate';
import { WHITESPACE_CLASS, cleanText } from './clean.js';
import { PromptError } from './errors.js';

/** CLIP's merge list holds at most this many merges (49152 - 256 - 2, as in SimpleTokenizer). */
export const MAX_CLIP_MERGES = 49152 - 256 - 2;
export const CLIP_CONTEXT_LENGTH = 77;
export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';

export interface ClipTokenizerOptions {
  /** Rows of encodeBatch / length of encodePadded; CLIP uses 77. */
  contextLength?: number;
  /** Id written after the end token; CLIP pads with 0. */
  padToken?: number;
  /**
   * Ids the bundle manifest declares. They must equal the ids the vocab file implies (after all
   * merges); a mismatch means the manifest and vocab file disagree, which would shift every id.
   */
  startToken?: number;
  endToken?: number;
}

/**
 * GPT-2's byte-to-unicode table as CLIP uses it: printable Latin-1 bytes map to themselves, the
 * other 68 bytes to U+0100 upwards, so every UTF-8 byte sequence becomes a string without
 * whitespace or control characters.
 */
export function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    table[byte] = String.fromCharCode(printable ? byte : 256 + extra++);
  }
  return table;
}

/** The order SimpleTokenizer lists the 256 byte symbols in (printable ranges first). */
function byteSymbolOrder(table: readonly string[]): string[] {
  const printable: string[] = [];
  const rest: string[] = [];
  table.forEach((symbol, byte) => (symbol.charCodeAt(0) === byte ? printable : rest).push(symbol));
  return [...printable, ...rest];
}

// CLIP's pre-tokenizer: special tokens, English contractions, letter runs, single digits, and
// runs of everything else. Case-insensitive like the reference (so "'ſ" matches "'s").
const PRE_TOKEN_RE = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WHITESPACE_CLASS}\\p{L}\\p{N}]+`,
  'giu',
);

/** Word-cache entries kept before the cache starts over, bounding memory in long-lived apps. */
const WORD_CACHE_LIMIT = 100_000;

/** CLIP's pre-tokens of the cleaned, lowercased text. */
function preTokens(text: string): RegExpMatchArray | readonly string[] {
  return cleanText(text).match(PRE_TOKEN_RE) ?? [];
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Byte-level BPE tokenizer identical to OpenAI CLIP's SimpleTokenizer (and OpenCLIP's, which is the
 * same code): same cleaning, pre-tokenizer, merges and id layout — 256 byte symbols, their '</w>'
 * forms, one id per merge line, then <|startoftext|> and <|endoftext|> (49406 and 49407 with
 * CLIP's vocab). Works in Node and browsers.
 */
export class ClipTokenizer {
  readonly contextLength: number;
  readonly padToken: number;
  readonly startToken: number;
  readonly endToken: number;
  /** Number of ids, start and end tokens included (49408 for CLIP). */
  readonly vocabSize: number;
  /** Number of merges read from the vocab file. */
  readonly mergeCount: number;

  private readonly byteEncoder: string[];
  private readonly encoder: Map<string, number>;
  private readonly decoder: string[];
  /** Merge rank by "left right" (symbols never contain a space). */
  private readonly ranks: Map<string, number>;
  /** Ids of each pre-token (before byte encoding) seen so far. */
  private readonly cache = new Map<string, readonly number[]>();
  private readonly utf8 = new TextEncoder();

  private constructor(mergeLines: readonly string[], options: ClipTokenizerOptions) {
    this.contextLength = checkCount(options.contextLength ?? CLIP_CONTEXT_LENGTH, 'contextLength', 2);
    this.padToken = checkCount(options.padToken ?? 0, 'padToken', 0);
    this.byteEncoder = bytesToUnicode();

    const vocab = byteSymbolOrder(this.byteEncoder);
    for (let i = 0; i < 256; i++) vocab.push(`${vocab[i]}</w>`);
    this.ranks = new Map();
    mergeLines.forEach((line, index) => {
      const symbols = line.split(/\s+/).filter((s) => s.length > 0);
      if (symbols.length !== 2 && symbols.length !== 0) {
        throw new PromptError(
          `BPE vocab line ${index + 2} has ${symbols.length} symbols ("${line.slice(0, 60)}"); every merge line must name two symbols. Pass CLIP's bpe_simple_vocab_16e6.txt(.gz) or a file in the same format.`,
          { line: index + 2 },
        );
      }
      // An empty line still takes an id, exactly as in the reference (which appends ''.join(()) ).
      vocab.push(symbols.join(''));
      if (symbols.length === 2) this.ranks.set(`${symbols[0]} ${symbols[1]}`, index);
    });
    this.mergeCount = mergeLines.length;
    vocab.push(START_OF_TEXT, END_OF_TEXT);

    // dict(zip(vocab, range)) keeps the last id of a repeated string; Map.set does the same.
    this.encoder = new Map();
    vocab.forEach((symbol, id) => this.encoder.set(symbol, id));
    this.decoder = vocab;
    this.vocabSize = vocab.length;
    this.startToken = vocab.length - 2;
    this.endToken = vocab.length - 1;
    checkDeclared(options.startToken, this.startToken, 'startToken', this.mergeCount);
    checkDeclared(options.endToken, this.endToken, 'endToken', this.mergeCount);

    this.cache.set(START_OF_TEXT, [this.startToken]);
    this.cache.set(END_OF_TEXT, [this.endToken]);
  }

  /** From the text of a CLIP merges file: a header line, then one "left right" merge per line. */
  static fromMergesText(text: string, options: ClipTokenizerOptions = {}): ClipTokenizer {
    const lines = text.split('\n');
    if (lines.length < 2) {
      throw new PromptError(
        'The BPE vocab holds no merges: expected a header line followed by one merge per line (CLIP\'s bpe_simple_vocab_16e6.txt format).',
      );
    }
    return new ClipTokenizer(lines.slice(1, 1 + MAX_CLIP_MERGES), options);
  }

  /** From the bytes of a vocab file, gzip-compressed (.txt.gz) or plain (.txt). */
  static fromVocabBytes(bytes: Uint8Array, options: ClipTokenizerOptions = {}): ClipTokenizer {
    let plain = bytes;
    if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1) {
      try {
        plain = gunzipSync(bytes);
      } catch (cause) {
        throw new PromptError(`The BPE vocab is not valid gzip (${String(cause)}); re-download or re-export the vocab file.`, {}, { cause });
      }
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch (cause) {
      throw new PromptError('The BPE vocab is not UTF-8 text; pass a CLIP merges file (.txt or .txt.gz).', {}, { cause });
    }
    return ClipTokenizer.fromMergesText(text, options);
  }

  /** BPE ids of the cleaned text, without start and end tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const preToken of preTokens(text)) {
      const tokenIds = this.tokenIds(preToken);
      for (let i = 0; i < tokenIds.length; i++) ids.push(tokenIds[i] as number);
    }
    return ids;
  }

  /** [start, ...encode(text), end], never truncated. */
  tokenize(text: string): number[] {
    const ids = [this.startToken];
    for (const preToken of preTokens(text)) {
      const tokenIds = this.tokenIds(preToken);
      for (let i = 0; i < tokenIds.length; i++) ids.push(tokenIds[i] as number);
    }
    ids.push(this.endToken);
    return ids;
  }

  /**
   * One context row: start, ids, end, then padding. Too long texts are cut to `contextLength` with
   * the end token kept as the last id (CLIP's `tokenize(..., truncate=True)`).
   */
  encodePadded(text: string, contextLength: number = this.contextLength): Int32Array {
    const row = new Int32Array(checkCount(contextLength, 'contextLength', 2));
    this.writeRow(text, row, 0, row.length);
    return row;
  }

  /** B×contextLength int32 ids, row-major. */
  encodeBatch(texts: readonly string[], contextLength: number = this.contextLength): Int32Array {
    const length = checkCount(contextLength, 'contextLength', 2);
    const out = new Int32Array(texts.length * length);
    for (let b = 0; b < texts.length; b++) this.writeRow(texts[b] as string, out, b * length, length);
    return out;
  }

  /** B×contextLength int64 ids, row-major: the `input_ids` tensor of the text encoder graph. */
  encodeBatchInt64(texts: readonly string[], contextLength: number = this.contextLength): BigInt64Array {
    const ids = this.encodeBatch(texts, contextLength);
    const out = new BigInt64Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = BigInt(ids[i] as number);
    return out;
  }

  /** Text of ids (special tokens spelled out, '</w>' as a space), for debugging and display. */
  decode(ids: Iterable<number>): string {
    const byteDecoder = new Map<string, number>();
    this.byteEncoder.forEach((symbol, byte) => byteDecoder.set(symbol, byte));
    const bytes: number[] = [];
    for (const id of ids) {
      const symbol = this.decoder[id];
      if (symbol === undefined) {
        throw new PromptError(`Token id ${id} is outside this vocab (0..${this.vocabSize - 1}).`, { id });
      }
      for (const ch of symbol === START_OF_TEXT || symbol === END_OF_TEXT ? symbol : symbol.replace('</w>', ' ')) {
        const byte = byteDecoder.get(ch);
        if (byte !== undefined) bytes.push(byte);
        else bytes.push(...this.utf8.encode(ch));
      }
    }
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
  }

  /**
   * Writes start, ids and end into the zeroed row out[offset, offset + length); once the row is full
   * its last slot becomes the end token.
   */
  private writeRow(text: string, out: Int32Array, offset: number, length: number): void {
    const end = offset + length;
    out[offset] = this.startToken;
    let position = offset + 1;
    fill: for (const preToken of preTokens(text)) {
      const tokenIds = this.tokenIds(preToken);
      for (let i = 0; i < tokenIds.length; i++) {
        if (position === end) break fill;
        out[position++] = tokenIds[i] as number;
      }
    }
    if (position === end) position = end - 1;
    out[position] = this.endToken;
    if (this.padToken !== 0) out.fill(this.padToken, position + 1, end);
  }

  private tokenIds(preToken: string): readonly number[] {
    const cached = this.cache.get(preToken);
    if (cached !== undefined) return cached;
    const bytes = this.utf8.encode(preToken);
    const word: string[] = new Array<string>(bytes.length);
    for (let i = 0; i < bytes.length; i++) word[i] = this.byteEncoder[bytes[i] as number] as string;
    const ids = this.bpe(word).map((symbol) => {
      const id = this.encoder.get(symbol);
      if (id === undefined) {
        throw new PromptError(`BPE produced "${symbol}", which has no id in this vocab; the merges file is inconsistent.`, { symbol });
      }
      return id;
    });
    if (this.cache.size >= WORD_CACHE_LIMIT) {
      this.cache.clear();
      this.cache.set(START_OF_TEXT, [this.startToken]);
      this.cache.set(END_OF_TEXT, [this.endToken]);
    }
    this.cache.set(preToken, ids);
    return ids;
  }

  /** Applies merges lowest rank first; each step merges every occurrence, left to right. */
  private bpe(symbols: string[]): string[] {
    let word = symbols;
    word[word.length - 1] += '</w>';
    while (word.length > 1) {
      let best = Infinity;
      let bestLeft = '';
      let bestRight = '';
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < best) {
          best = rank;
          bestLeft = word[i] as string;
          bestRight = word[i + 1] as string;
        }
      }
      if (best === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (word[i] === bestLeft && word[i + 1] === bestRight && i < word.length - 1) {
          merged.push(bestLeft + bestRight);
          i++;
        } else {
          merged.push(word[i] as string);
        }
      }
      word = merged;
    }
    return word;
  }
}

function checkCount(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new PromptError(`${name} must be an integer of at least ${min}, got ${String(value)}.`, { [name]: value });
  }
  return value;
}

function checkDeclared(declared: number | undefined, derived: number, name: string, merges: number): void {
  if (declared !== undefined && declared !== derived) {
    throw new PromptError(
      `The tokenizer declares ${name} ${declared}, but its vocab file (${merges} merges) puts it at ${derived}; re-export the bundle so samclip.json and the vocab file agree.`,
      { [name]: declared, derived, merges },
    );
  }
}
