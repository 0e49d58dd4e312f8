export { createProgram, runCli } from './cli.js';
export type { RunCliOptions } from './cli.js';
export type { CliContext, CliIo } from './context.js';
export { COMMANDS } from './commands/index.js';
export type { RegisterCommand } from './commands/index.js';
export { registerInspectCommand, formatReport } from './commands/inspect.js';
export { registerBundleCommand, parseConfigSpec, parseGraphSpec } from './commands/bundle.js';
