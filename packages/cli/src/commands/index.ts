import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerBenchCommand } from './bench.js';
import { registerBundleCommand } from './bundle.js';
import { registerClassifyCommand } from './classify.js';
import { registerConvertCommand } from './convert.js';
import { registerDemoCommand } from './demo.js';
import { registerEmbedCommand } from './embed.js';
import { registerEverythingCommand } from './everything.js';
import { registerInspectCommand } from './inspect.js';
import { registerSegmentCommand } from './segment.js';
import { registerSemanticCommand } from './semantic.js';
import { registerTokenizeCommand } from './tokenize.js';

export type RegisterCommand = (program: Command, context: CliContext) => void;

/** Every `samclip` subcommand: adding one is an import and an entry here. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerInspectCommand,
  registerBundleCommand,
  registerConvertCommand,
  registerSegmentCommand,
  registerClassifyCommand,
  registerEmbedCommand,
  registerSemanticCommand,
  registerEverythingCommand,
  registerDemoCommand,
  registerBenchCommand,
  (program, context) => {
    const { io } = context;
    registerTokenizeCommand(program, { stdin: io.stdin ?? process.stdin, stdout: io.stdout, stderr: io.stderr }, context.setExitCode);
  },
];
