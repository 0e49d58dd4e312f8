import { describe, expect, it } from 'vitest';
import { MATRIX_TARGETS, parseTarget, variantRunsOn } from './targets.js';

describe('matrix columns', () => {
  it('has the nine columns of the issue: eight backends, ort-wasm in Node and the browser', () => {
    expect(MATRIX_TARGETS.map((target) => target.id)).toEqual([
      'ort-node',
      'ort-node-webgpu',
      'ort-wasm',
      'ort-wasm@browser',
      'ort-webgpu',
      'tfjs-cpu',
      'tfjs-wasm',
      'tfjs-webgl',
      'tfjs-webgpu',
    ]);
    expect(new Set(MATRIX_TARGETS.map((target) => target.backend)).size).toBe(8);
  });

  it('parses column names and backend@platform, refusing unknown ones', () => {
    expect(parseTarget('ort-wasm@browser')).toMatchObject({ backend: 'ort-wasm', platform: 'browser', gpu: false });
    expect(parseTarget('ort-wasm@node').id).toBe('ort-wasm');
    expect(parseTarget('tfjs-wasm@browser')).toMatchObject({ id: 'tfjs-wasm@browser', platform: 'browser' });
    expect(() => parseTarget('tfjs-webgl@node')).toThrow(/unknown matrix backend "tfjs-webgl@node"/);
    expect(() => parseTarget('cuda')).toThrow(/use one of ort-node/);
  });

  it('runs untargeted variants everywhere and converter variants on their target columns', () => {
    const column = (id: string) => parseTarget(id);
    expect(MATRIX_TARGETS.every((target) => variantRunsOn({}, target))).toBe(true);
    expect(variantRunsOn({ target: 'ort-node' }, column('ort-node'))).toBe(true);
    expect(variantRunsOn({ target: 'ort-node' }, column('ort-wasm'))).toBe(false);
    expect(variantRunsOn({ target: 'ort-wasm' }, column('ort-wasm@browser'))).toBe(true);
    expect(variantRunsOn({ target: 'ort-webgpu' }, column('ort-node-webgpu'))).toBe(true);
    expect(MATRIX_TARGETS.filter((target) => variantRunsOn({ target: 'tfjs' }, target)).map((t) => t.id)).toEqual(['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgl', 'tfjs-webgpu']);
    expect(variantRunsOn({ target: 'tfjs-webgl' }, column('tfjs-webgl'))).toBe(true);
  });
});
