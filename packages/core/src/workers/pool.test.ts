import { describe, expect, it } from 'vitest';
import { SamClipError, isSamClipError } from '../errors.js';
import { WorkerPool } from './pool.js';
import type { PoolProgress } from './pool.js';
import { WorkerClient } from './rpc.js';
import type { HandlerContext, WorkerHandlers } from './rpc.js';
import { exposeWebWorker, webWorkerEndpoint } from './web.js';
import type { WebWorkerLike } from './web.js';

/** A worker on the other end of a MessageChannel, in this thread: the same messages and transfers as a real one. */
function channelWorker(handlers: WorkerHandlers, onTerminate: () => void = () => {}) {
  const { port1, port2 } = new MessageChannel();
  exposeWebWorker(handlers, port2 as unknown as WebWorkerLike);
  return webWorkerEndpoint({
    postMessage: (message, transfer) => port1.postMessage(message, transfer),
    addEventListener: (type: 'message', listener: never) => port1.addEventListener(type, listener),
    removeEventListener: (type: 'message', listener: never) => port1.removeEventListener(type, listener),
    start: () => port1.start(),
    terminate: () => {
      port1.close();
      port2.close();
      onTerminate();
    },
  } as WebWorkerLike);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Works for `steps` × 10 ms, reporting each step and stopping when cancelled. */
async function cooperative(args: { steps: number; value: number }, context: HandlerContext): Promise<number> {
  for (let step = 0; step < args.steps; step++) {
    if (context.signal.aborted) throw context.signal.reason;
    context.progress({ step });
    await sleep(10);
  }
  return args.value * 2;
}

describe('worker calls', () => {
  it('returns results and progress, and carries SamClipErrors with their code across', async () => {
    const client = new WorkerClient(
      channelWorker({
        double: cooperative,
        fail: () => {
          throw new SamClipError('SHAPE', 'the mask is 3×3, expected 4×4', { tensor: 'mask' });
        },
      }),
    );
    const steps: unknown[] = [];
    expect(await client.call('double', { steps: 3, value: 21 }, { onProgress: (p) => steps.push(p) })).toBe(42);
    expect(steps).toEqual([{ step: 0 }, { step: 1 }, { step: 2 }]);
    const error = await client.call('fail').catch((e: unknown) => e);
    expect(isSamClipError(error, 'SHAPE')).toBe(true);
    expect((error as SamClipError).details).toEqual({ tensor: 'mask' });
    const missing = await client.call('segment').catch((e: unknown) => e);
    expect(isSamClipError(missing, 'NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toContain('it serves double, fail');
    await client.terminate();
  });

  it('moves tensor buffers across instead of copying them, both ways', async () => {
    const client = new WorkerClient(
      channelWorker({
        scale: (args: { data: Float32Array }, context) => {
          const out = args.data.map((v) => v * 10);
          context.transfer(out.buffer);
          return { dims: [2, 2], data: out };
        },
      }),
    );
    const data = Float32Array.of(1, 2, 3, 4);
    const result = await client.call<{ data: Float32Array }>('scale', { dims: [2, 2], data }, { transfer: 'auto' });
    expect(data.byteLength).toBe(0); // detached: the worker owns it now
    expect(Array.from(result.data)).toEqual([10, 20, 30, 40]);
    await client.terminate();
  });
});

describe('WorkerPool', () => {
  it('runs a list over a pool of its size, in order, reporting progress', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const handlers: WorkerHandlers = {
      double: async (args: { steps: number; value: number }, context: HandlerContext) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        try {
          return await cooperative(args, context);
        } finally {
          running--;
        }
      },
    };
    let started = 0;
    const pool = new WorkerPool({ size: 2, create: () => (started++, channelWorker(handlers)) });
    const progress: PoolProgress[] = [];
    const results = await pool.map('double', [1, 2, 3, 4, 5], { argsOf: (value) => ({ steps: 2, value }), onProgress: (p) => progress.push(p) });
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(started).toBe(2);
    expect(mostAtOnce).toBe(2);
    const finished = progress.filter((p) => p.detail === undefined);
    expect(finished.map((p) => p.done)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.every((p) => p.total === 5 && p.running <= 2)).toBe(true);
    expect(progress.some((p) => (p.detail as { step?: number } | undefined)?.step === 1)).toBe(true);
    await pool.dispose();
  });

  it('cancels a long run through its AbortSignal; workers that stop in time are kept', async () => {
    let terminated = 0;
    const pool = new WorkerPool({ size: 2, create: () => channelWorker({ double: cooperative }, () => terminated++) });
    const controller = new AbortController();
    const run = pool.map('double', [1, 2, 3, 4], {
      signal: controller.signal,
      argsOf: (value) => ({ steps: 1000, value }),
      onProgress: () => controller.abort(),
    });
    const started = performance.now();
    const error = await run.catch((e: unknown) => e);
    expect(isSamClipError(error, 'CANCELLED')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    await sleep(50);
    expect(terminated).toBe(0);
    expect(await pool.run('double', { steps: 1, value: 4 })).toBe(8);
    await pool.dispose();
  });

  it('terminates and replaces a worker that ignores cancellation (an engine in a long native run)', async () => {
    let terminated = 0;
    let created = 0;
    const pool = new WorkerPool({
      size: 1,
      cancelGraceMs: 100,
      create: () => {
        created++;
        return channelWorker({ stuck: () => new Promise(() => {}), double: cooperative }, () => terminated++);
      },
    });
    const controller = new AbortController();
    const stuck = pool.run('stuck', {}, { signal: controller.signal });
    const queued = pool.run('double', { steps: 1, value: 1 }, { signal: controller.signal });
    await sleep(20);
    const started = performance.now();
    controller.abort();
    const [first, second] = await Promise.all([stuck.catch((e: unknown) => e), queued.catch((e: unknown) => e)]);
    expect(performance.now() - started).toBeLessThan(50);
    expect(isSamClipError(first, 'CANCELLED')).toBe(true);
    expect(isSamClipError(second, 'CANCELLED')).toBe(true);
    await sleep(200);
    expect(terminated).toBe(1);
    expect(await pool.run('double', { steps: 1, value: 5 })).toBe(10);
    expect(created).toBe(2);
    await pool.dispose();
  });

  it('with an infinite grace, lets a cancelled worker finish its run and serve the next call', async () => {
    let terminated = 0;
    let created = 0;
    const pool = new WorkerPool({
      size: 1,
      cancelGraceMs: Infinity,
      create: () => {
        created++;
        // `native` ignores its signal for 150 ms, as an engine inside one native run does.
        return channelWorker({ native: () => sleep(150).then(() => 'ran'), double: cooperative }, () => terminated++);
      },
    });
    const controller = new AbortController();
    const running = pool.run('native', {}, { signal: controller.signal });
    await sleep(20);
    const started = performance.now();
    controller.abort();
    expect(isSamClipError(await running.catch((e: unknown) => e), 'CANCELLED')).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
    expect(await pool.run('double', { steps: 1, value: 6 })).toBe(12);
    expect([created, terminated]).toEqual([1, 0]);
    await pool.dispose();
    expect(terminated).toBe(1);
  });

  it('asks a worker to release what it holds (shutdownMethod) before terminating it, on dispose and past the grace', async () => {
    const events: string[] = [];
    let created = 0;
    const pool = new WorkerPool({
      size: 1,
      cancelGraceMs: 30,
      shutdownMethod: 'release',
      create: () => {
        const id = ++created;
        return channelWorker(
          {
            native: () => sleep(120).then(() => events.push(`run ${id} returned`)),
            release: () => void events.push(`release ${id}`),
            double: cooperative,
          },
          () => events.push(`terminate ${id}`),
        );
      },
    });
    const controller = new AbortController();
    const running = pool.run('native', {}, { signal: controller.signal });
    await sleep(20);
    controller.abort();
    expect(isSamClipError(await running.catch((e: unknown) => e), 'CANCELLED')).toBe(true);
    // Past the grace the worker is asked to release, then terminated and replaced. (A worker thread inside a
    // native run answers the release once the run returns; this in-thread stand-in answers at once.)
    expect(await pool.run('double', { steps: 1, value: 7 })).toBe(14);
    expect(events.filter((event) => !event.startsWith('run'))).toEqual(['release 1', 'terminate 1']);
    await pool.dispose();
    expect(events.filter((event) => !event.startsWith('run'))).toEqual(['release 1', 'terminate 1', 'release 2', 'terminate 2']);
    expect(() => new WorkerPool({ size: 1, cancelGraceMs: -1, create: () => channelWorker({}) })).toThrow(/cancelGraceMs/);
    expect(() => new WorkerPool({ size: 1, shutdownTimeoutMs: Infinity, create: () => channelWorker({}) })).toThrow(/shutdownTimeoutMs/);
  });

  it('fails the whole list on the first error and refuses work once disposed', async () => {
    const pool = new WorkerPool({
      size: 2,
      create: () =>
        channelWorker({
          check: async (value: number) => {
            await sleep(5);
            if (value === 3) throw new SamClipError('INVALID_IMAGE', 'image 3 is empty');
            return value;
          },
        }),
    });
    const error = await pool.map('check', [1, 2, 3, 4]).catch((e: unknown) => e);
    expect(isSamClipError(error, 'INVALID_IMAGE')).toBe(true);
    await pool.dispose();
    expect(isSamClipError(await pool.run('check', 1).catch((e: unknown) => e), 'DISPOSED')).toBe(true);
    expect(() => new WorkerPool({ size: 0, create: () => channelWorker({}) })).toThrow(/at least 1/);
  });
});
