/**
 * The Node pool on real worker_threads. Workers run JavaScript, so the worker modules are compiled
 * from this source tree into a temporary directory first (TypeScript's transpiler, no type check).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSamClipError } from '../errors.js';
import type { WorkerPool } from './pool.js';
import { createNodeWorkerPool, defaultPoolSize, exposeNodeWorker } from './node.js';

const sources = ['errors.ts', 'workers/protocol.ts', 'workers/rpc.ts', 'workers/pool.ts', 'workers/node.ts'];
const srcDir = join(import.meta.dirname, '..');

const WORKER = `
import { exposeNodeWorker, workerThreads } from './workers/node.js';
exposeNodeWorker({
  threads: () => workerThreads(),
  // A synchronous loop, as an engine's native run: the thread cannot look at its signal meanwhile.
  spin: (ms) => { const end = Date.now() + ms; while (Date.now() < end); return 'spun'; },
  sum: (args, context) => {
    let total = 0;
    for (const v of args.data) total += v;
    const out = Float32Array.of(total);
    context.transfer(out.buffer);
    return out;
  },
});
`;

let dir: string;
let pool: WorkerPool;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'samclip-workers-'));
  for (const file of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(srcDir, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    });
    const out = join(dir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'worker.js'), WORKER);
  pool = createNodeWorkerPool(join(dir, 'worker.js'), { size: 2, cancelGraceMs: 200 });
});

afterAll(async () => {
  await pool?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('Node worker pool', () => {
  it('sizes itself to the cores and gives each worker its share of engine threads', async () => {
    expect(defaultPoolSize()).toBe(availableParallelism());
    expect(defaultPoolSize(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(await pool.run('threads')).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
  });

  it('moves tensor data to a worker thread and back without copies', async () => {
    const data = new Float32Array(1024).fill(0.5);
    const result = await pool.run<Float32Array>('sum', { data }, { transfer: 'auto' });
    expect(data.byteLength).toBe(0);
    expect(result[0]).toBe(512);
  });

  it('cancels a worker stuck in a long synchronous run within a second and replaces it', async () => {
    const controller = new AbortController();
    const run = pool.run('spin', 20_000, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    controller.abort();
    const error = await run.catch((e: unknown) => e);
    expect(isSamClipError(error, 'CANCELLED')).toBe(true);
    // The stuck thread is terminated after the grace period: two calls at once find two live workers.
    expect(await Promise.all([pool.run('spin', 1), pool.run('spin', 1)])).toEqual(['spun', 'spun']);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses to serve on the main thread', () => {
    expect(() => exposeNodeWorker({})).toThrow(/inside a worker thread/);
  });
});
