import { SamClipError } from '@samclip/core';
import { hostNumbers } from '../runtime/value.js';
import type { Value } from '../runtime/value.js';
import type { Kernel } from './types.js';

/**
 * Runs then_branch or else_branch. The compiler appends the outer-scope values the branches read
 * to the node's inputs (after the condition), so their lifetimes are planned like any other input;
 * with a constant condition and constant captures the whole If folds at load.
 */
export const If: Kernel = {
  opType: 'If',
  run: (ctx) => {
    const branch = ctx.attrGraph(hostNumbers(ctx.host(0))[0] ? 'then_branch' : 'else_branch');
    if (!branch) throw new SamClipError('MODEL_DECODE', `If node "${ctx.node.name}" lacks a branch graph.`, { node: ctx.node.name });
    const outer = new Map<string, Value>();
    ctx.node.inputs.forEach((name, i) => i > 0 && name && ctx.has(i) && outer.set(name, ctx.value(i)));
    return ctx.runSubgraph(branch, outer);
  },
};
