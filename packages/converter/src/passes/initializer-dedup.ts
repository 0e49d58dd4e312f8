/**
 * Initializer deduplication: byte-identical initializers (same dtype, dims and bytes) are merged
 * under the first one's name, so shared weights are stored once.
 */
import { outerScopeReads } from '@samclip/core';
import type { Initializer, Model, TensorData } from '@samclip/core';
import type { Pass, PassReport } from '../pipeline.js';

function bytesOf(data: TensorData): Uint8Array | undefined {
  if (Array.isArray(data)) return undefined;
  const view = data as ArrayBufferView;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const initializerDedupPass: Pass = {
  name: 'initializer-dedup',
  run(model: Model): PassReport {
    const graph = model.graph;
    // Names read inside subgraph bodies are left alone: renaming there would need a scoped rewrite.
    const pinned = new Set([...[...graph.inputs, ...graph.outputs].map((v) => v.name), ...graph.nodes.flatMap(outerScopeReads)]);
    const groups = new Map<string, Array<{ init: Initializer; bytes: Uint8Array }>>();
    const renamed = new Map<string, string>();
    for (const init of graph.initializers) {
      if (pinned.has(init.name) || init.data === undefined) continue;
      const bytes = bytesOf(init.data);
      if (!bytes) continue;
      const sample = Array.from(bytes.subarray(0, 16)).join(',');
      const key = `${init.dtype}|${init.dims.join('x')}|${bytes.length}|${sample}`;
      const group = groups.get(key) ?? [];
      const twin = group.find((candidate) => sameBytes(candidate.bytes, bytes));
      if (twin) renamed.set(init.name, twin.init.name);
      else {
        group.push({ init, bytes });
        groups.set(key, group);
      }
    }
    if (renamed.size === 0) return { pass: 'initializer-dedup', changed: 0 };
    graph.initializers = graph.initializers.filter((init) => !renamed.has(init.name));
    for (const node of graph.nodes) node.inputs = node.inputs.map((name) => renamed.get(name) ?? name);
    return { pass: 'initializer-dedup', changed: renamed.size };
  },
};
