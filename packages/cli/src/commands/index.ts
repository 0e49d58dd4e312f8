import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerBundleCommand } from './bundle.js';
import { registerConvertCommand } from './convert.js';
import { registerInspectCommand } from './inspect.js';
import { registerTokenizeCommand } from './tokenize.js';

export type RegisterCommand = (program: Command, context: CliContext) => void;

/** Every `samclip` subcommand: adding one is an import and an entry here. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerInspectCommand,
  registerBundleCommand,
  registerConvertCommand,
  (program, context) => {
    const { io } = context;
    registerTokenizeCommand(program, { stdin: io.stdin ?? process.stdin, stdout: io.stdout, stderr: io.stderr }, context.setExitCode);
  },
];
