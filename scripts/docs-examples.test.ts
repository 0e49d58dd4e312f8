/**
 * Runs every example on the task pages (docs/tasks/*.md) against fixtures/tiny-random, so the docs
 * cannot drift from the API: each ```js block is written to a temporary ES module and imported
 * (@samclip/* resolve to source through the vitest aliases), and each line of a ```sh block that
 * calls `npx samclip` runs the CLI in-process and must exit 0. `$TMPDIR` in a command is a fresh
 * temporary directory. The working directory is the repository root, as the pages say.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../packages/cli/src/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pagesDir = path.join(repoRoot, 'docs/tasks');
const TASK_PAGES = ['segment.md', 'classify.md', 'segment-semantic.md', 'segment-everything.md', 'convert.md', 'inspect.md'];

interface CodeBlock {
  lang: string;
  code: string;
  line: number;
}

/** Fenced code blocks of a Markdown page, with the line each starts on. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`unterminated code block at line ${start + 1}`);
    blocks.push({ lang: open[1]!, code: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/** Splits a command line into arguments (single and double quotes group words). */
function splitArgs(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

if (!existsSync(path.join(repoRoot, 'fixtures/tiny-random/samclip.json')) && process.env['CI'] === 'true') {
  throw new Error('fixtures/tiny-random is missing; the docs examples run against it.');
}

describe('every task has a docs page with runnable examples', () => {
  it('has one page per task, each with a js example', () => {
    const pages = readdirSync(pagesDir).filter((file) => file.endsWith('.md'));
    for (const page of TASK_PAGES) {
      expect(pages, page).toContain(page);
      expect(codeBlocks(readFileSync(path.join(pagesDir, page), 'utf8')).some((b) => b.lang === 'js'), `${page} has a js example`).toBe(true);
    }
  });

  it('extracts fenced blocks with their languages and lines', () => {
    expect(codeBlocks('text\n```js\na();\n```\n\n```sh\nnpx samclip inspect x\n```\n')).toEqual([
      { lang: 'js', code: 'a();', line: 2 },
      { lang: 'sh', code: 'npx samclip inspect x', line: 6 },
    ]);
    expect(() => codeBlocks('```js\nopen')).toThrow(/unterminated/);
  });
});

describe.each(TASK_PAGES)('docs/tasks/%s', (page) => {
  const blocks = codeBlocks(readFileSync(path.join(pagesDir, page), 'utf8'));
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'samclip-docs-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const block of blocks.filter((b) => b.lang === 'js')) {
    it(`runs the js example at line ${block.line}`, async () => {
      const file = path.join(scratch, `${path.basename(page, '.md')}-${block.line}.mjs`);
      await writeFile(file, block.code);
      await import(/* @vite-ignore */ pathToFileURL(file).href);
    });
  }

  for (const block of blocks.filter((b) => b.lang === 'sh')) {
    it(`runs the samclip commands at line ${block.line}`, async () => {
      const commands = block.code.split('\n').filter((line) => line.startsWith('npx samclip '));
      expect(commands.length, 'a sh block on a task page runs samclip').toBeGreaterThan(0);
      for (const command of commands) {
        const tmp = await mkdtemp(path.join(scratch, 'cli-'));
        const argv = splitArgs(command.slice('npx samclip '.length).replaceAll('$TMPDIR', tmp));
        let stdout = '';
        let stderr = '';
        const code = await runCli(argv, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
        expect(code, `${command}\n${stderr}`).toBe(0);
        expect(stdout.length, `${command} printed nothing`).toBeGreaterThan(0);
      }
    });
  }
});
