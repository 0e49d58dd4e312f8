/** The matrix as markdown (docs/regression.md is this, verbatim) and as JSON. */
import type { Cell } from './evaluate.js';
import type { MatrixResult } from './matrix.js';
import { TOLERANCE_NOTES, toleranceTable } from './tolerances.js';

function num(value: number | undefined, digits = 3): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  return Math.abs(value) < 1e-3 || Math.abs(value) >= 1e4 ? value.toExponential(1) : value.toPrecision(digits);
}

function cosineText(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '—' : value.toFixed(6);
}

function ms(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

const STATUS: Readonly<Record<Cell['status'], string>> = { pass: '✅ pass', fail: '❌ FAIL', unavailable: '⚪ unavailable' };

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function summaryTable(cells: readonly Cell[]): string {
  const rows = [
    '| bundle | variant | backend | status | max abs err vs PyTorch (graph) | min cosine | mask IoU | top-1 label | max abs vs baseline | median latency, all graphs (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const cell of cells) {
    const top1 = cell.tasks?.top1 ? `${cell.tasks.top1.agree ? '✓' : '✗'} ${escape(cell.tasks.top1.label)}` : '—';
    const maxAbs = cell.summary.maxAbsGraph ? `${num(cell.summary.maxAbs)} (${cell.summary.maxAbsGraph})` : num(cell.summary.maxAbs);
    rows.push(
      `| ${cell.bundle} | ${cell.variant} (${cell.dtype}) | ${cell.target} | ${STATUS[cell.status]} | ${maxAbs} | ${cosineText(cell.summary.minCosine)} | ${num(cell.summary.maskIou, 4)} | ${top1} | ${cell.summary.crossMaxAbs !== undefined ? num(cell.summary.crossMaxAbs) : cell.status === 'pass' && cell.graphs.length > 0 ? 'baseline' : '—'} | ${ms(cell.summary.latencyMs)} |`,
    );
  }
  return rows.join('\n');
}

function graphTable(cells: readonly Cell[]): string {
  const rows = [
    '| bundle | variant | backend | graph | output | max abs err | bound | cosine | mask IoU | vs baseline (bound) | median ms (timed runs) | session ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const cell of cells) {
    for (const graph of cell.graphs) {
      graph.outputs.forEach((output, i) => {
        const cross = output.cross ? `${num(output.cross.maxAbs)} (${num(output.cross.bound)})` : '—';
        rows.push(
          `| ${cell.bundle} | ${cell.variant} | ${cell.target} | ${graph.graph} | ${output.name} | ${num(output.reference.maxAbs)} | ${num(output.reference.bound)} | ${cosineText(output.reference.cosine)} | ${num(output.reference.iou, 4)} | ${cross} | ${i === 0 ? `${ms(graph.latencyMs)} (${graph.timedRuns})` : ''} | ${i === 0 ? ms(graph.loadMs) : ''} |`,
        );
      });
    }
  }
  return rows.join('\n');
}

function browserLines(result: MatrixResult): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const { target, environment } of result.browsers) {
    const threads = [environment['ortThreads'] !== undefined ? `onnxruntime-web ${environment['ortThreads']} wasm threads` : '', environment['tfjsWasmThreads'] !== undefined ? `tfjs-wasm ${environment['tfjsWasmThreads']} threads` : '']
      .filter(Boolean)
      .join(', ');
    const line = `${target}: ${String(environment['userAgent'] ?? '').match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}, ${environment['crossOriginIsolated'] ? 'cross-origin isolated' : 'not isolated'}${threads ? `, ${threads}` : ''}`;
    if (!seen.has(line)) lines.push(`- ${line}`);
    seen.add(line);
  }
  return lines.length > 0 ? ['Browser columns (headless Chromium, one page load per column running every bundle, engine files served by the page\'s origin):', ...lines, ''] : [];
}

function latencyBudgetText(result: MatrixResult): string {
  if (result.latencyBudgetMs === undefined || !Number.isFinite(result.latencyBudgetMs) || result.runs <= 1) return '';
  return ` (a graph stops after the timed run that takes its timed runs past ${result.latencyBudgetMs / 1000} s; the per-graph table gives each count)`;
}

/** The whole report; `command` is how it was produced (shown at the top). */
/** Which bundles got quantized variants from the converter for this run, and which. */
function conversionLines(result: MatrixResult): string[] {
  const entries = Object.entries(result.conversions);
  if (entries.length === 0) return [];
  return [
    `Quantized variants: ${entries.map(([bundle, list]) => `${bundle} converted by @samclip/converter at the start of this run to ${list.map((c) => `\`${c}\``).join(', ')}`).join('; ')} (precision:target; each variant runs on the columns its target is meant for). Variant names: \`int8\`, \`int4\` for ort-node, \`<precision>-<target>\` otherwise.`,
    '',
  ];
}

export function matrixMarkdown(result: MatrixResult, command: string): string {
  const env = result.environment;
  const failed = result.cells.filter((cell) => cell.status === 'fail');
  const unavailable = result.cells.filter((cell) => cell.status === 'unavailable');
  const lines = [
    '# Regression matrix',
    '',
    `<!-- Generated by \`${command}\` (packages/regress); do not edit by hand. -->`,
    '',
    `Every bundle variant on every backend, against the PyTorch reference outputs stored in the bundle and against the`,
    `first backend that ran the same variant (the baseline, normally ort-node), with task-level checks. Produced by`,
    `\`${command}\` on ${result.date.slice(0, 10)}.`,
    '',
    `**Result: ${result.passed ? 'PASS' : 'FAIL'}** — ${result.cells.length} cells, ${result.cells.filter((c) => c.status === 'pass').length} passed, ${failed.length} failed, ${unavailable.length} unavailable${result.strict ? ' (strict: unavailable columns fail)' : ''}.`,
    '',
    `Machine: ${env.cpu} × ${env.cpus}, ${env.platform}, Node ${env.node}; ${env.onnxruntime}; tfjs ${env.tfjs}; ${env.gpu ? 'real GPU (--gpu)' : `no GPU: WebGPU and WebGL run on SwiftShader${env.vulkanIcd ? ` (Dawn in Node via ${env.vulkanIcd})` : ''}`}.`,
    ...conversionLines(result),
    ...browserLines(result),
    `Latency is the median of up to ${result.runs} timed run${result.runs === 1 ? '' : 's'} per graph after a warm-up run${latencyBudgetText(result)}, summed over the bundle's graphs on their reference inputs; software GPUs make GPU columns slow here, so compare latencies only within one machine.`,
    '',
    '## Summary',
    '',
    'Max abs error and cosine are the worst over every graph output; mask IoU is the worst of the decoder\'s masks at logit 0,',
    'graph-level and along the task chain (pixels → backbone → neck → decoder for each stored prompt); the top-1 label comes',
    'from the chain\'s `image_embeds` against `text_embeds` of the stored labels.',
    '',
    summaryTable(result.cells),
    '',
  ];
  if (failed.length > 0) {
    lines.push('## Failures', '');
    for (const cell of failed) for (const failure of cell.failures) lines.push(`- ${cell.bundle} ${cell.variant} on ${cell.target}: ${escape(failure)}`);
    lines.push('');
  }
  if (unavailable.length > 0) {
    lines.push('## Unavailable columns', '');
    const seen = new Set<string>();
    for (const cell of unavailable) {
      const key = `${cell.bundle} ${cell.target}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lines.push(`- ${key}: ${escape(cell.reason ?? '')}`);
    }
    lines.push('');
  }
  lines.push('## Per graph', '', graphTable(result.cells), '', '## Tolerances', '', toleranceTable(), '', TOLERANCE_NOTES, '');
  return lines.join('\n');
}

/** JSON of the result (tensors are not part of it). */
export function matrixJson(result: MatrixResult): string {
  return JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2) + '\n';
}
