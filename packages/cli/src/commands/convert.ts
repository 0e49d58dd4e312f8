import type { Command } from 'commander';
import { Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { SamClipError } from '@samclip/core';
import { CONVERSION_TARGETS, PRECISIONS, convertBundle } from '@samclip/converter';
import type { ConversionProgress, ConversionReport, ConversionTarget, Precision } from '@samclip/converter';
import type { CliContext } from '../context.js';
import { formatBytes } from '../format.js';

interface ConvertOptions {
  to: Precision;
  target: ConversionTarget;
  out?: string;
  json?: boolean;
  validate: boolean;
  validateAgainst: 'stored' | 'run';
  variant?: string;
}

function summary(report: ConversionReport): string {
  const lines = [`converted ${report.bundle} → ${report.out} as variant "${report.variant}" (${report.to} for ${report.target})`];
  for (const graph of report.graphs) {
    const checks = graph.validation
      ? graph.validation.backends
          .flatMap((b) => b.outputs.map((o) => `${b.backend}:${o.name} cos ${o.cosine.toFixed(5)}${o.maskIoU !== undefined ? ` IoU ${o.maskIoU.toFixed(4)}` : ''}`))
          .join(', ')
      : `not validated: ${graph.validationSkipped ?? 'validation off'}`;
    lines.push(`  ${graph.graph.padEnd(20)} ${formatBytes(graph.sourceBytes).padStart(10)} → ${formatBytes(graph.bytes).padStart(10)} (${(graph.ratio * 100).toFixed(1)}%)  ${checks}`);
  }
  lines.push(`  total ${formatBytes(report.totals.sourceBytes)} → ${formatBytes(report.totals.bytes)} (${(report.totals.ratio * 100).toFixed(1)}%)`);
  return `${lines.join('\n')}\n`;
}

export function registerConvertCommand(program: Command, context: CliContext): void {
  program
    .command('convert')
    .description('write a quantized variant (int8, fp16, int4) of every graph into a bundle, validated against fp32 on the target\'s backend')
    .argument('<bundle>', 'bundle directory')
    .addOption(new Option('--to <precision>', 'precision of the new variant').choices([...PRECISIONS]).makeOptionMandatory())
    .addOption(new Option('--target <backend>', 'backend the variant is made fast for').choices([...CONVERSION_TARGETS]).default('ort-node'))
    .option('--out <dir>', 'write a converted copy of the bundle here instead of updating it in place')
    .option('--variant <name>', 'variant name in samclip.json (default: <to>, or <to>-<target> for targets other than ort-node)')
    .option('--no-validate', 'skip validation against fp32 (not recommended)')
    .addOption(
      new Option('--validate-against <reference>', "what the variant is compared with: the bundle's stored fp32 reference outputs, or the fp32 graph run beside it (slower; needs the fp32 graph's memory)")
        .choices(['stored', 'run'])
        .default('stored'),
    )
    .option('--json', 'print the conversion report as JSON')
    .action(async (bundle: string, options: ConvertOptions) => {
      await context.loadBackends();
      const stderr = context.io.stderr as { write(text: string): unknown; isTTY?: boolean };
      // A live bar only where a person watches; logs and pipes get one line per phase instead.
      const bar = stderr.isTTY ? new SingleBar({ format: 'converting {bar} {value}/{total} graphs  {message}', hideCursor: true, stream: stderr as NodeJS.WriteStream }) : undefined;
      let started = false;
      const onProgress = (event: ConversionProgress): void => {
        if (bar) {
          if (!started) {
            bar.start(event.total, 0, { message: '' });
            started = true;
          }
          bar.update(event.phase === 'done' ? event.total : event.index, { message: event.message });
        } else if (!options.json) {
          stderr.write(`convert: ${event.message}\n`);
        }
      };
      let report: ConversionReport;
      try {
        report = await convertBundle(bundle, {
          to: options.to,
          target: options.target,
          ...(options.out !== undefined ? { out: options.out } : {}),
          ...(options.variant !== undefined ? { variant: options.variant } : {}),
          validate: options.validate ? { against: options.validateAgainst } : false,
          onProgress,
        });
      } catch (error) {
        if (error instanceof SamClipError && error.code === 'CONVERSION' && options.json && error.details['report']) {
          context.io.stdout.write(`${JSON.stringify(error.details['report'], null, 2)}\n`);
        }
        throw error;
      } finally {
        bar?.stop();
      }
      context.io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
    });
}
