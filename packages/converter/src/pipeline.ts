/**
 * The converter is a pipeline of named passes, each a function that edits a model in place and
 * reports what it changed. Passes run one after another over one graph at a time.
 */
import type { Model } from '@samclip/core';
import type { NodeFilter } from './exclusions.js';

export interface PassContext {
  /** Decides which nodes a precision pass must leave in float32. */
  exclusions: NodeFilter;
}

export interface PassReport {
  pass: string;
  /** Nodes or initializers the pass rewrote, added or removed. */
  changed: number;
  /** Human-readable facts worth surfacing in the conversion report. */
  notes?: string[];
}

export interface Pass {
  readonly name: string;
  run(model: Model, context: PassContext): PassReport;
}

export function runPasses(model: Model, passes: readonly Pass[], context: PassContext, onPass?: (report: PassReport) => void): PassReport[] {
  const reports: PassReport[] = [];
  for (const pass of passes) {
    const report = pass.run(model, context);
    reports.push(report);
    onPass?.(report);
  }
  return reports;
}
