import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelLocation, numberedPath, parseBox, parseLabels, parsePoint } from './task-support.js';
import { REPO_ROOT } from './test-utils/task-cli.js';

describe('task command argument parsing', () => {
  it('reads points with numeric and named labels', () => {
    expect(parsePoint('10,20')).toEqual({ x: 10, y: 20, label: 'foreground' });
    expect(parsePoint(' 1.5 , 2 ,bg')).toEqual({ x: 1.5, y: 2, label: 'background' });
    expect(parsePoint('3,4,0')).toEqual({ x: 3, y: 4, label: 'background' });
    expect(parsePoint('3,4,Foreground')).toEqual({ x: 3, y: 4, label: 'foreground' });
  });

  it('names the bad part of a point', () => {
    expect(() => parsePoint('10,Infinity,1')).toThrow('--point "10,Infinity,1": y is "Infinity", not a finite number.');
    expect(() => parsePoint('10,,1')).toThrow('--point "10,,1": y is "", not a finite number.');
    expect(() => parsePoint('10')).toThrow('--point "10" has 1 values; expected x,y[,label].');
    expect(() => parsePoint('1,2,maybe')).toThrow('label "maybe" is not 1/fg/foreground or 0/bg/background');
  });

  it('reads boxes and refuses inverted ones', () => {
    expect(parseBox('1,2,3,4')).toEqual({ x0: 1, y0: 2, x1: 3, y1: 4 });
    expect(parseBox('5,5,5,5')).toEqual({ x0: 5, y0: 5, x1: 5, y1: 5 });
    expect(() => parseBox('1,9,3,4')).toThrow('--box "1,9,3,4": y1 (4) is above y0 (9)');
    expect(() => parseBox('1,2,3')).toThrow('--box "1,2,3" has 3 values; expected x0,y0,x1,y1.');
  });

  it('splits labels and refuses empty ones', () => {
    expect(parseLabels(' cat , a red car,dog ')).toEqual(['cat', 'a red car', 'dog']);
    expect(() => parseLabels(undefined)).toThrow('--labels is required');
    expect(() => parseLabels(',')).toThrow('--labels is empty');
    expect(() => parseLabels('cat,')).toThrow('--labels "cat,": label 2 is empty');
  });

  it('numbers sibling outputs and finds the default model under the repository fixtures', () => {
    expect(numberedPath('out/mask.png', 2)).toBe('out/mask-2.png');
    expect(numberedPath('mask', 0)).toBe('mask-0');
    expect(path.dirname(defaultModelLocation())).toBe(path.join(REPO_ROOT, 'fixtures'));
  });
});
