#!/usr/bin/env node
// The installed `samclip` command. A committed launcher (not the build output) so npm can link the
// bin in a fresh workspace checkout before `dist/` exists; it then runs the built CLI.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('samclip: the CLI is not built yet (missing packages/cli/dist); run `npm run build` at the repository root.\n');
  process.exit(1);
}

// glibc raises its mmap threshold up to 32 MiB as large blocks are freed, after which a ViT-B
// encode's tensors (tens of MiB each) stay in the heap once freed instead of going back to the OS:
// about 250 MiB more peak memory. The threshold is read when the process starts, so on Linux the
// launcher runs the CLI in a child process that has it set (SAMCLIP_MALLOC_TUNING=0 turns this off).
const tune = process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ === undefined && process.env.SAMCLIP_MALLOC_TUNING !== '0';
if (tune) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '1048576' },
  });
  // The terminal sends Ctrl-C to the whole process group; the CLI in the child decides what it means.
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', () => {});
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  child.on('error', (error) => {
    process.stderr.write(`samclip: could not start the CLI process: ${error.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  await import(entry.href);
}
