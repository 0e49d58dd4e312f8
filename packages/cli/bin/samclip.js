#!/usr/bin/env node
// The installed `samclip` command. A committed launcher (not the build output) so npm can link the
// bin in a fresh workspace checkout before `dist/` exists; it then runs the built CLI.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('samclip: the CLI is not built yet (missing packages/cli/dist); run `npm run build` at the repository root.\n');
  process.exit(1);
}
await import(entry.href);
