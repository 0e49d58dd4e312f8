/**
 * The committed launcher (bin/samclip.js): on Linux it runs the CLI in a child process with glibc's
 * mmap threshold fixed, passes arguments and the exit status through, and can be told not to.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const launcher = fileURLToPath(new URL('../bin/samclip.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/bin.js', import.meta.url)));
if (!built && process.env['CI']) throw new Error('packages/cli/dist is missing: the test command builds before vitest runs (npm run build)');
// Each Node process the launcher starts reports the variable it sees, through a preloaded module.
const report = `--import=data:text/javascript,process.stderr.write("MMAP="+process.env.MALLOC_MMAP_THRESHOLD_+"\\n")`;

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { MALLOC_MMAP_THRESHOLD_: _unset, ...base } = process.env;
  return spawnSync(process.execPath, [report, launcher, ...args], { encoding: 'utf8', env: { ...base, ...env } });
}

describe.runIf(built && process.platform === 'linux')('bin/samclip.js', () => {
  it('runs the CLI in a child with MALLOC_MMAP_THRESHOLD_ set, passing output and status through', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: samclip/);
    expect(result.stderr.match(/^MMAP=.*$/gm)).toEqual(['MMAP=undefined', 'MMAP=1048576']);
    const failed = run(['no-such-command']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/no-such-command/);
  });

  it('runs in one process when the threshold is already set or tuning is off', () => {
    expect(run(['--help'], { MALLOC_MMAP_THRESHOLD_: '4194304' }).stderr.match(/^MMAP=.*$/gm)).toEqual(['MMAP=4194304']);
    expect(run(['--help'], { SAMCLIP_MALLOC_TUNING: '0' }).stderr.match(/^MMAP=.*$/gm)).toEqual(['MMAP=undefined']);
  });
});
