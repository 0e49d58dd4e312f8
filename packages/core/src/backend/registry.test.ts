import { describe, expect, it } from 'vitest';
import { SamClipError } from '../errors.js';
import { BackendRegistry } from './registry.js';
import type { Backend } from './types.js';

function fakeBackend(options: { supported?: boolean | { supported: false; reason: string }; initError?: string } = {}): Backend & { inits: number } {
  const backend = {
    inits: 0,
    async init() {
      backend.inits++;
      if (options.initError) throw new Error(options.initError);
    },
    async isSupported() {
      return options.supported ?? true;
    },
    async createSession(): Promise<never> {
      throw new Error('not used in registry tests');
    },
  };
  return backend;
}

async function rejection(promise: Promise<unknown>): Promise<SamClipError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SamClipError);
    return error as SamClipError;
  }
  throw new Error('expected a rejection');
}

describe('backend registry', () => {
  it('auto picks the highest-priority supported backend and records why others were passed over', async () => {
    const registry = new BackendRegistry();
    registry.register('slow-cpu', fakeBackend(), 1);
    registry.register('gpu', fakeBackend({ supported: { supported: false, reason: 'no GPU adapter' } }), 10);
    registry.register('broken', fakeBackend({ initError: 'wasm missing' }), 5);
    registry.register('fast-cpu', fakeBackend(), 3);
    expect(registry.list()).toEqual([
      { name: 'gpu', priority: 10 },
      { name: 'broken', priority: 5 },
      { name: 'fast-cpu', priority: 3 },
      { name: 'slow-cpu', priority: 1 },
    ]);
    const resolved = await registry.resolve('auto');
    expect(resolved.name).toBe('fast-cpu');
    expect(resolved.fallbacks).toEqual([
      { name: 'gpu', reason: 'no GPU adapter' },
      { name: 'broken', reason: 'init() failed: wasm missing' },
    ]);
    expect((await registry.resolve('auto', { exclude: ['fast-cpu'] })).name).toBe('slow-cpu');
  });

  it('runs init once per backend and remembers failures', async () => {
    const registry = new BackendRegistry();
    const good = fakeBackend();
    const bad = fakeBackend({ initError: 'boom' });
    registry.register('good', good, 1);
    registry.register('bad', bad, 2);
    await registry.resolve();
    await registry.resolve();
    await registry.resolve('good');
    expect(good.inits).toBe(1);
    expect(bad.inits).toBe(1);
    const error = await rejection(registry.resolve('bad'));
    expect(bad.inits).toBe(1);
    expect(error.message).toBe('backend "bad" is unavailable (bad: init() failed: boom); available backends: bad, good');
  });

  it('lists the available backends when asked for an unknown or unsupported one', async () => {
    const registry = new BackendRegistry();
    registry.register('ort-node', fakeBackend(), 10);
    registry.register('ort-webgpu', fakeBackend({ supported: false }), 20);
    registry.register('tfjs-cpu', fakeBackend(), 1);
    const unknown = await rejection(registry.resolve('ort-cuda'));
    expect(unknown.code).toBe('BACKEND_UNAVAILABLE');
    expect(unknown.message).toBe('backend "ort-cuda" is unavailable (ort-cuda: not registered); available backends: ort-node, tfjs-cpu');
    const unsupported = await rejection(registry.resolve('ort-webgpu'));
    expect(unsupported.message).toBe(
      'backend "ort-webgpu" is unavailable (ort-webgpu: not supported in this environment); available backends: ort-node, tfjs-cpu',
    );
    const resolved = await registry.resolve(['ort-webgpu', 'tfjs-cpu']);
    expect(resolved.name).toBe('tfjs-cpu');
    expect(resolved.fallbacks).toEqual([{ name: 'ort-webgpu', reason: 'not supported in this environment' }]);
    const empty = new BackendRegistry();
    expect((await rejection(empty.resolve())).message).toBe('no registered backend can run here; available backends: none');
  });

  it('follows onnxruntime-common on re-registration', async () => {
    const registry = new BackendRegistry();
    const first = fakeBackend();
    const second = fakeBackend();
    registry.register('x', first, 5);
    registry.register('x', first, 7);
    expect(registry.list()).toEqual([{ name: 'x', priority: 7 }]);
    registry.register('x', second, 1);
    expect(registry.get('x')).toBe(first);
    expect(() => registry.register('x', second, 7)).toThrow(/already registered/);
    registry.register('x', second, 8);
    expect(registry.get('x')).toBe(second);
    expect(() => registry.register('auto', second)).toThrow(SamClipError);
    expect(registry.unregister('x')).toBe(true);
    expect(registry.list()).toEqual([]);
  });

  it('treats an init() that throws synchronously like a rejection', async () => {
    const registry = new BackendRegistry();
    const backend: Backend = {
      init: () => {
        throw new Error('no adapter');
      },
      isSupported: async () => true,
      createSession: async () => {
        throw new Error('not used');
      },
    };
    registry.register('sync', backend, 2);
    registry.register('fallback', fakeBackend(), 1);
    const resolved = await registry.resolve();
    expect(resolved.name).toBe('fallback');
    expect(resolved.fallbacks).toEqual([{ name: 'sync', reason: 'init() failed: no adapter' }]);
  });

  it('reports support status without initialising', async () => {
    const registry = new BackendRegistry();
    const backend = fakeBackend({ supported: { supported: false, reason: 'needs a browser' } });
    registry.register('web', backend, 1);
    expect(await registry.status()).toEqual([{ name: 'web', priority: 1, supported: false, reason: 'needs a browser' }]);
    expect(backend.inits).toBe(0);
  });
});
