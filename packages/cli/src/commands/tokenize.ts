import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SamClipError } from '@samclip/core';
import { ClipTokenizer, type ClipTokenizerOptions } from '@samclip/prompts';

/** Streams the tokenize command reads and writes; process.stdin/stdout/stderr by default. */
export interface TokenizeIO {
  stdin: AsyncIterable<string | Uint8Array>;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export interface TokenizeOptions {
  vocab?: string;
  model?: string;
  context?: number;
  jsonl?: boolean;
}

const processIO = (): TokenizeIO => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/**
 * `samclip tokenize [--vocab FILE | --model BUNDLE] [--context 77] [--jsonl] [TEXT...]`: one JSON
 * line per text with its ids (start and end included, never truncated) and its context row.
 * Failures print one line to stderr and set a non-zero exit code.
 */
export function registerTokenizeCommand(
  program: Command,
  io: TokenizeIO = processIO(),
  setExitCode: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
  return program
    .command('tokenize')
    .description('Print CLIP token ids of texts as JSON lines: {"text", "ids", "context77"}.')
    .argument('[text...]', 'texts to tokenize (or use --jsonl)')
    .option('--vocab <file>', 'CLIP BPE merges file (.txt or .txt.gz)')
    .option('--model <bundle>', 'bundle directory (or its samclip.json) whose tokenizer to use')
    .option('--context <length>', 'context length of the padded row (default: the bundle\'s, else 77)', parseContextLength)
    .option('--jsonl', 'read JSON lines {"text": ...} from stdin instead of arguments')
    .action(async (texts: string[], options: TokenizeOptions) => {
      try {
        await tokenize(texts, options, io);
      } catch (error) {
        io.stderr.write(`samclip tokenize: ${error instanceof Error ? error.message : String(error)}\n`);
        setExitCode(1);
      }
    });
}

/**
 * Runs `samclip tokenize ARGS` in-process and resolves to its exit code (for tests and embedding).
 */
export async function runTokenize(args: readonly string[], io: TokenizeIO): Promise<number> {
  let exitCode = 0;
  const program = new Command('samclip')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  registerTokenizeCommand(program, io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(['tokenize', ...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  return exitCode;
}

function parseContextLength(value: string): number {
  const length = Number(value);
  if (!Number.isInteger(length) || length < 2) throw new InvalidArgumentError('must be a whole number ≥ 2.');
  return length;
}

async function tokenize(texts: readonly string[], options: TokenizeOptions, io: TokenizeIO): Promise<void> {
  if (options.jsonl && texts.length > 0) {
    throw new SamClipError('INVALID_ARGUMENT', 'Pass texts as arguments or as JSON lines with --jsonl, not both.');
  }
  if (!options.jsonl && texts.length === 0) {
    throw new SamClipError('INVALID_ARGUMENT', 'No texts: pass them as arguments, or pipe JSON lines {"text": ...} with --jsonl.');
  }
  const tokenizer = await loadTokenizer(options);
  const key = `context${tokenizer.contextLength}`;
  const emit = (text: string) => {
    const ids = tokenizer.tokenize(text);
    const row = Array.from(tokenizer.encodePadded(text));
    io.stdout.write(`${JSON.stringify({ text, ids, [key]: row })}\n`);
  };
  if (!options.jsonl) {
    texts.forEach(emit);
    return;
  }
  let lineNumber = 0;
  for await (const line of readLines(io.stdin)) {
    lineNumber++;
    if (line.trim() === '') continue;
    emit(parseTextLine(line, lineNumber));
  }
}

function parseTextLine(line: string, lineNumber: number): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (cause) {
    throw new SamClipError('INVALID_ARGUMENT', `stdin line ${lineNumber} is not valid JSON (${(cause as Error).message}); each line must be {"text": "..."}.`, {
      line: lineNumber,
    });
  }
  const text = typeof record === 'object' && record !== null ? (record as { text?: unknown }).text : undefined;
  if (typeof text !== 'string') {
    throw new SamClipError('INVALID_ARGUMENT', `stdin line ${lineNumber} has no string "text" field; each line must be {"text": "..."}.`, {
      line: lineNumber,
    });
  }
  return text;
}

async function* readLines(input: AsyncIterable<string | Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      yield pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending !== '') yield pending.replace(/\r$/, '');
}

interface BundleTokenizerSection {
  vocab?: { file?: unknown };
  contextLength?: unknown;
  startToken?: unknown;
  endToken?: unknown;
  padToken?: unknown;
}

async function loadTokenizer(options: TokenizeOptions): Promise<ClipTokenizer> {
  if (options.vocab !== undefined && options.model !== undefined) {
    throw new SamClipError('INVALID_ARGUMENT', 'Use either --vocab or --model, not both.');
  }
  if (options.vocab !== undefined) {
    const tokenizerOptions: ClipTokenizerOptions = {};
    if (options.context !== undefined) tokenizerOptions.contextLength = options.context;
    return ClipTokenizer.fromVocabBytes(await readInput(options.vocab, 'vocab file'), tokenizerOptions);
  }
  if (options.model !== undefined) return loadBundleTokenizer(options.model, options.context);
  throw new SamClipError('INVALID_ARGUMENT', 'No tokenizer: pass --vocab FILE (CLIP BPE merges, .txt or .txt.gz) or --model BUNDLE.');
}

async function loadBundleTokenizer(bundle: string, context: number | undefined): Promise<ClipTokenizer> {
  const manifestPath = path.basename(bundle) === 'samclip.json' ? bundle : path.join(bundle, 'samclip.json');
  const raw = await readInput(manifestPath, 'bundle manifest');
  let manifest: { tokenizer?: BundleTokenizerSection };
  try {
    manifest = JSON.parse(new TextDecoder().decode(raw)) as { tokenizer?: BundleTokenizerSection };
  } catch (cause) {
    throw new SamClipError('MANIFEST_INVALID', `${manifestPath} is not valid JSON (${(cause as Error).message}).`, { file: manifestPath });
  }
  const section = manifest.tokenizer;
  const vocabFile = section?.vocab?.file;
  if (typeof vocabFile !== 'string') {
    throw new SamClipError('UNSUPPORTED', `${manifestPath} has no tokenizer.vocab.file; this bundle cannot encode text (use --vocab FILE instead).`, {
      file: manifestPath,
    });
  }
  const tokenizerOptions: ClipTokenizerOptions = {};
  const contextLength = context ?? section?.contextLength;
  if (typeof contextLength === 'number') tokenizerOptions.contextLength = contextLength;
  if (typeof section?.startToken === 'number') tokenizerOptions.startToken = section.startToken;
  if (typeof section?.endToken === 'number') tokenizerOptions.endToken = section.endToken;
  if (typeof section?.padToken === 'number') tokenizerOptions.padToken = section.padToken;
  const vocabPath = path.resolve(path.dirname(manifestPath), vocabFile);
  return ClipTokenizer.fromVocabBytes(await readInput(vocabPath, 'vocab file'), tokenizerOptions);
}

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SamClipError('NOT_FOUND', `${what} ${file} does not exist.`, { file }, { cause });
    throw new SamClipError('IO', `Cannot read ${what} ${file}: ${(cause as Error).message}`, { file }, { cause });
  }
}
