/**
 * Dead-node elimination: drops nodes whose outputs reach no graph output, then the initializers
 * and value_info nobody reads any more (core's `removeDeadNodes`, as a pass).
 */
import { removeDeadNodes } from '@samclip/core';
import type { Model } from '@samclip/core';
import type { Pass, PassReport } from '../pipeline.js';

/** Returns how many nodes and initializers were removed. */
export function eliminateDeadNodes(model: Model): number {
  const { nodes, initializers } = removeDeadNodes(model);
  return nodes + initializers;
}

export const deadNodeEliminationPass: Pass = {
  name: 'dead-node-elimination',
  run(model: Model): PassReport {
    return { pass: 'dead-node-elimination', changed: eliminateDeadNodes(model) };
  },
};
