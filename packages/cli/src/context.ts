import type { BackendRegistry } from '@samclip/core';

/** Where a command writes; `runCli` passes process streams from bin.ts and string sinks in tests. */
export interface CliIo {
  /** Standard input, for commands that read it (`tokenize --jsonl`). */
  stdin?: AsyncIterable<string | Uint8Array>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

export interface CliContext {
  io: CliIo;
  /** The registry commands resolve backends from (the process-wide one unless a test injects its own). */
  registry: BackendRegistry;
  /**
   * Registers the installed backends into `registry` once; resolves to notes on backend packages
   * that could not be loaded (shown by `inspect`, never fatal).
   */
  loadBackends(): Promise<string[]>;
  /** Sets the exit code `runCli` returns for commands that report failure without throwing. */
  setExitCode(code: number): void;
}
