/**
 * Drops the outputs of a graph the SDK never reads, and every node that only fed them. Engines
 * such as onnxruntime run the whole graph whatever the fetch list, so an unread output still
 * costs its nodes; SAM's prompt decoder as Meta exports it upsamples all K masks to the original
 * image size for its `masks` output, which the SDK replaces with its own post-processing of the
 * one chosen low-res mask.
 */
import { removeDeadNodes } from '../graph/dead-nodes.js';
import type { Model } from '../graph/types.js';

/**
 * Keeps only the graph outputs named in `keep` (in place) and removes the nodes, initializers and
 * value infos nothing left reads. Graph inputs stay declared, so feeds that include an input only
 * the dropped outputs used are still accepted. Returns how many nodes were removed.
 */
export function pruneToOutputs(model: Model, keep: readonly string[]): number {
  const wanted = new Set(keep);
  model.graph.outputs = model.graph.outputs.filter((output) => wanted.has(output.name));
  return removeDeadNodes(model).nodes;
}
