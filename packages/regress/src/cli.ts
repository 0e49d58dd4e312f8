/**
 * `npm run regress -- [--json FILE] [--markdown FILE] [--bundle DIR ...] [--backends a,b] [--variants a,b] [--runs N] [--latency-budget S] [--gpu]`
 * Runs the matrix, prints the markdown table and exits 1 on any regression (under CI=true, a
 * column that cannot run is one).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { repoRoot } from './browser-runner.js';
import { DEFAULT_CONVERSIONS, DEFAULT_CONVERTED_BUNDLES, parseConversion } from './conversions.js';
import type { Conversion } from './conversions.js';
import { fixtureBundles, runMatrix } from './matrix.js';
import { matrixJson, matrixMarkdown } from './report.js';
import { parseTarget } from './targets.js';

function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];
}

function conversions(value: string, previous: Conversion[] = []): Conversion[] {
  try {
    return [...previous, ...list(value).map(parseConversion)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function seconds(value: string): number {
  const parsed = Number(value);
  if (!(parsed >= 0)) throw new InvalidArgumentError('expected a number of seconds ≥ 0');
  return parsed;
}

function positive(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

async function writeOut(file: string, text: string): Promise<void> {
  const target = path.resolve(process.env['INIT_CWD'] ?? process.cwd(), file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, text);
  console.error(`wrote ${path.relative(process.cwd(), target) || target}`);
}

const program = new Command('regress')
  .description('Run every bundle variant on every backend against the PyTorch references and each other.')
  .option('--bundle <dir...>', 'bundle directories (default: every fixtures/*/samclip.json)')
  .option('--backends <list>', 'columns, comma-separated (default: all nine)', list)
  .option('--variants <list>', 'variant names, comma-separated (default: all)', list)
  .option('--convert <list>', `quantized variants to convert before running, precision:target comma-separated (default with the fixtures: ${DEFAULT_CONVERSIONS.map((c) => `${c.to}:${c.target}`).join(',')}; none with --bundle)`, conversions)
  .option('--convert-bundles <names>', `directory names of the bundles to convert (default with the fixtures: ${DEFAULT_CONVERTED_BUNDLES.join(',')}; with --bundle: every bundle)`, list)
  .option('--no-convert', 'run the bundles as they are, without converted variants')
  .option('--runs <n>', 'timed runs per graph after one warm-up, at most', positive, 3)
  .option('--latency-budget <seconds>', 'a graph\'s timed runs stop once together they took this long (at least one runs)', seconds, 2)
  .option('--json <file>', 'also write the result as JSON')
  .option('--markdown <file>', 'also write the markdown report (docs/regression.md is generated this way)')
  .option('--gpu', 'use the machine\'s GPU (Chromium with hardware acceleration; Dawn on the system Vulkan driver)')
  .option('--quiet', 'no progress lines')
  .action(async (options: { bundle?: string[]; backends?: string[]; variants?: string[]; convert: Conversion[] | false | undefined; convertBundles?: string[]; runs: number; latencyBudget: number; json?: string; markdown?: string; gpu?: boolean; quiet?: boolean }) => {
    const started = performance.now();
    const cwd = process.env['INIT_CWD'] ?? process.cwd();
    const bundles = options.bundle ? options.bundle.map((dir) => path.resolve(cwd, dir)) : fixtureBundles();
    const convertNames = options.convertBundles ?? (options.bundle ? bundles.map((dir) => path.basename(dir)) : DEFAULT_CONVERTED_BUNDLES);
    const chosen = options.convert === false ? [] : (options.convert ?? (options.bundle ? [] : DEFAULT_CONVERSIONS));
    for (const name of chosen.length > 0 ? convertNames : []) {
      if (!bundles.some((dir) => path.basename(dir) === name)) throw new InvalidArgumentError(`--convert-bundles: no bundle named ${name} among ${bundles.map((dir) => path.basename(dir)).join(', ')}`);
    }
    const result = await runMatrix({
      bundles,
      conversions: chosen.length > 0 ? { bundles: bundles.filter((dir) => convertNames.includes(path.basename(dir))), conversions: chosen } : false,
      ...(options.backends ? { targets: options.backends.map(parseTarget) } : {}),
      ...(options.variants ? { variants: options.variants } : {}),
      runs: options.runs,
      latencyBudgetMs: options.latencyBudget * 1000,
      gpu: options.gpu ?? false,
      ...(options.quiet ? {} : { onProgress: (message: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`) }),
    });
    // Where the outputs went is not part of how the matrix ran.
    const outputs = new Set(['--markdown', '--json']);
    const argv = process.argv.slice(2).filter((arg, i, all) => !outputs.has(arg) && !outputs.has(all[i - 1] ?? ''));
    const markdown = matrixMarkdown(result, ['npm run regress --', ...argv].join(' ').replace(/ --$/, ''));
    console.log(markdown);
    if (options.json) await writeOut(options.json, matrixJson(result));
    if (options.markdown) await writeOut(options.markdown, markdown);
    if (result.cells.length === 0) {
      console.error(`no matrix cells ran: no bundles found (looked in ${path.join(repoRoot, 'fixtures')}) or no variant meant for the chosen backends`);
      process.exitCode = 1;
    } else if (!result.passed) {
      console.error('regression: at least one cell failed (see the Failures section)');
      process.exitCode = 1;
    }
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
