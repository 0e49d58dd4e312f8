import type { Command } from 'commander';
import { inspectBundle } from '@samclip/core';
import type { BundleReport, TensorSummary, VariantReport } from '@samclip/core';
import { openBundle } from '@samclip/core/node';
import type { CliContext } from '../context.js';
import { formatBytes, formatCount, formatDims } from '../format.js';

function tensorLine(tensors: readonly TensorSummary[]): string {
  return tensors.map((t) => `${t.name} ${t.dtype ?? '?'} ${formatDims(t.shape)}`).join(', ');
}

function backendsLine(variant: VariantReport): string {
  if (variant.backends.length === 0) return 'backends: none registered';
  const runs = variant.backends.filter((b) => b.runs === true).map((b) => b.name);
  const undeclared = variant.backends.filter((b) => b.runs === null).map((b) => b.name);
  const cannot = variant.backends.filter((b) => b.runs === false).map((b) => `${b.name} (missing ${b.missingOps?.join(', ')})`);
  const parts: string[] = [];
  if (runs.length > 0) parts.push(`runs on: ${runs.join(', ')}`);
  if (undeclared.length > 0) parts.push(`not checked (no op list): ${undeclared.join(', ')}`);
  if (cannot.length > 0) parts.push(`cannot run: ${cannot.join('; ')}`);
  return parts.join('; ');
}

export function formatReport(report: BundleReport, notes: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`bundle    ${report.name} (${report.kind}, schema v${report.schemaVersion})`);
  lines.push(`location  ${report.location}`);
  lines.push(`config    ${Object.entries(report.config).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ')}`);
  lines.push(`size      ${formatBytes(report.totalBytes)}`);
  lines.push('graphs');
  for (const graph of report.graphs) {
    lines.push(`  ${graph.name} (role ${graph.role})`);
    lines.push(`    inputs   ${tensorLine(graph.inputs)}`);
    lines.push(`    outputs  ${tensorLine(graph.outputs)}`);
    for (const variant of graph.variants) {
      const opsets = variant.opsets.map((o) => `${o.domain === '' ? 'ai.onnx' : o.domain} ${o.version}`).join(', ');
      lines.push(
        `    ${variant.name}  ${variant.file}  ${variant.dtype}${variant.target ? ` for ${variant.target}` : ''}  ${formatBytes(variant.bytes)}  ${formatCount(variant.parameters)} parameters  opsets ${opsets}`,
      );
      lines.push(`      ${backendsLine(variant)}`);
    }
  }
  if (report.tokenizer) lines.push(`tokenizer ${report.tokenizer.file} (${formatBytes(report.tokenizer.bytes)})`);
  for (const note of notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

export function registerInspectCommand(program: Command, context: CliContext): void {
  program
    .command('inspect')
    .description('print a bundle\'s kind, sub-graphs, variants, sizes, parameter counts, opsets and the backends that can run each variant (verifies every file)')
    .argument('<bundle>', 'bundle directory, its samclip.json, or an http(s) URL')
    .option('--json', 'print the report as JSON')
    .action(async (location: string, options: { json?: boolean }) => {
      const notes = await context.loadBackends();
      const bundle = await openBundle(location);
      const report = await inspectBundle(bundle, { registry: context.registry });
      context.io.stdout.write(options.json ? `${JSON.stringify({ ...report, notes }, null, 2)}\n` : formatReport(report, notes));
    });
}
