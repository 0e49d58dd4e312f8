import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { BUNDLE_KINDS, VARIANT_DTYPES, isRole, ROLES } from '@samclip/core';
import type { BundleKind, SamClipConfig, VariantDType } from '@samclip/core';
import { assembleBundle } from '@samclip/core/node';
import type { AssembleGraphInput } from '@samclip/core/node';
import type { CliContext } from '../context.js';

/** `ROLE[@VARIANT]=FILE`, e.g. `prompt_decoder=sam_decoder.onnx` or `sam_encoder@int8=enc.int8.onnx`. */
export function parseGraphSpec(spec: string, previous: AssembleGraphInput[] = []): AssembleGraphInput[] {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw new InvalidArgumentError(`"${spec}" is not ROLE[@VARIANT]=FILE.`);
  const [role, variant] = spec.slice(0, eq).split('@') as [string, string | undefined];
  if (!isRole(role)) throw new InvalidArgumentError(`"${role}" is not a role; roles: ${ROLES.join(', ')}.`);
  const input: AssembleGraphInput = { role, file: spec.slice(eq + 1) };
  if (variant !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(variant)) throw new InvalidArgumentError(`"${variant}" cannot name a variant.`);
    input.variant = variant;
    if ((VARIANT_DTYPES as readonly string[]).includes(variant)) input.dtype = variant as VariantDType;
  }
  return [...previous, input];
}

/** `KEY=VALUE`; numeric values become numbers. */
export function parseConfigSpec(spec: string, previous: SamClipConfig = {}): SamClipConfig {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${spec}" is not KEY=VALUE.`);
  const key = spec.slice(0, eq);
  const raw = spec.slice(eq + 1);
  const value = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return { ...previous, [key]: value };
}

interface BundleOptions {
  out: string;
  kind: BundleKind;
  graph: AssembleGraphInput[];
  config: SamClipConfig;
  tokenizer?: string;
  name?: string;
  force?: boolean;
  json?: boolean;
}

export function registerBundleCommand(program: Command, context: CliContext): void {
  program
    .command('bundle')
    .description('assemble a bundle from existing ONNX files (e.g. Meta\'s exported SAM decoder plus an encoder), checking every contract')
    .requiredOption('--out <dir>', 'output bundle directory (must not exist unless --force)')
    .addOption(new Option('--kind <kind>', 'bundle kind').choices(BUNDLE_KINDS).makeOptionMandatory())
    .requiredOption('--graph <role=file>', 'a sub-graph as ROLE[@VARIANT]=FILE (repeat for each graph)', parseGraphSpec, [])
    .option('--config <key=value>', 'a config value the graphs do not fix (repeatable), e.g. logitScale=100', parseConfigSpec, {})
    .option('--tokenizer <file>', 'CLIP BPE vocabulary (bpe_simple_vocab_16e6.txt.gz), for kinds with a text encoder')
    .option('--name <name>', 'bundle name (default: the output directory name)')
    .option('--force', 'replace an existing output directory')
    .option('--json', 'print the written manifest as JSON')
    .action(async (options: BundleOptions) => {
      const manifest = await assembleBundle({
        outDir: options.out,
        kind: options.kind,
        graphs: options.graph,
        config: options.config,
        ...(options.tokenizer ? { tokenizerVocab: options.tokenizer } : {}),
        ...(options.name ? { name: options.name } : {}),
        ...(options.force ? { overwrite: true } : {}),
      });
      if (options.json) {
        context.io.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
        return;
      }
      const graphs = Object.entries(manifest.graphs).map(([name, g]) => `${name} (${Object.keys(g.variants).join(', ')})`);
      context.io.stdout.write(`wrote ${manifest.kind} bundle "${manifest.name}" to ${options.out}: ${graphs.join(', ')}\n`);
      context.io.stdout.write(`config ${Object.entries(manifest.config).map(([k, v]) => `${k}=${String(v)}`).join(' ')}\n`);
    });
}
