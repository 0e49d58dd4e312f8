import { Command, CommanderError } from 'commander';
import { backendRegistry, isSamClipError } from '@samclip/core';
import { registerInstalledBackends } from './backends.js';
import { COMMANDS } from './commands/index.js';
import type { CliContext, CliIo } from './context.js';

export interface RunCliOptions {
  /** Backend registry (default: the process-wide one). */
  registry?: CliContext['registry'];
  /** Replaces registering the installed backend packages (tests pass fakes). */
  loadBackends?: () => Promise<string[]>;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Builds the `samclip` program with every command registered. */
export function createProgram(context: CliContext): Command {
  const program = new Command('samclip')
    .description('SAM-CLIP on onnxruntime and TensorFlow.js: inspect and assemble model bundles, segment and classify images')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
      outputError: (text, write) => write(`samclip: ${oneLine(text.replace(/^error: /, ''))}\n`),
    });
  for (const register of COMMANDS) register(program, context);
  return program;
}

/**
 * Runs `samclip` with `argv` (the arguments after the command name) and returns the exit code.
 * Expected failures (SamClipError, usage errors) print one line `samclip: <message>` and give 1.
 */
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  let loaded: Promise<string[]> | undefined;
  let exitCode = 0;
  const context: CliContext = {
    io,
    registry: options.registry ?? backendRegistry,
    loadBackends: () => (loaded ??= (options.loadBackends ?? registerInstalledBackends)()),
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help/version text).
      return error.exitCode;
    }
    if (isSamClipError(error)) {
      io.stderr.write(`samclip: ${oneLine(error.message)}\n`);
      return 1;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`samclip: unexpected error (please report it): ${message}\n`);
    return 1;
  }
}
