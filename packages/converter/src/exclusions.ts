/**
 * Per-node exclusions: which nodes a precision pass leaves in float32. By default SAM-CLIP keeps
 * the layers whose error shows up most in masks and labels — the patch embedding, positional
 * encodings and the mask decoder's output layers.
 */
import { SamClipError } from '@samclip/core';
import type { Node } from '@samclip/core';

export interface ExclusionSpec {
  /** Exact node names. */
  nodes?: readonly string[];
  /** Operator types, e.g. "Conv". */
  ops?: readonly string[];
  /** Regular expressions matched against the node name and the names of the initializers it reads. */
  patterns?: ReadonlyArray<string | RegExp>;
  /** Also apply DEFAULT_EXCLUSION_PATTERNS (true unless set to false). */
  defaults?: boolean;
}

/**
 * Name fragments of the layers kept in float by default, as they appear in PyTorch-exported node
 * names (`/mask_decoder/output_upscaling/...`) and parameter names (`image_encoder.pos_embed`).
 */
export const DEFAULT_EXCLUSION_PATTERNS: readonly string[] = [
  'patch_embed',
  'pos_embed',
  'positional_embedding',
  'position_embedding',
  'pe_layer',
  'output_upscaling',
  'output_hypernetworks_mlps',
  'iou_prediction_head',
];

export interface NodeFilter {
  /**
   * The reason the node stays in float32, or undefined when a pass may convert it. With
   * `userOnly`, only the caller's own exclusions count (not DEFAULT_EXCLUSION_PATTERNS).
   */
  excluded(node: Node, userOnly?: boolean): string | undefined;
  /** The exclusions as plain JSON, for provenance. */
  readonly settings: { nodes: string[]; ops: string[]; patterns: string[] };
}

export function createNodeFilter(spec: ExclusionSpec = {}): NodeFilter {
  const nodes = new Set(spec.nodes ?? []);
  const ops = new Set(spec.ops ?? []);
  const userSources = (spec.patterns ?? []).map((p) => (typeof p === 'string' ? p : p.source));
  const sources = [...(spec.defaults === false ? [] : DEFAULT_EXCLUSION_PATTERNS), ...userSources];
  const compile = (source: string) => {
    try {
      return new RegExp(source);
    } catch (error) {
      throw new SamClipError('INVALID_ARGUMENT', `Exclusion pattern /${source}/ is not a valid regular expression; fix or remove it.`, { pattern: source }, { cause: error });
    }
  };
  const patterns = [...new Set(sources)].map(compile);
  const userPatterns = [...new Set(userSources)].map(compile);
  return {
    excluded(node, userOnly = false) {
      if (nodes.has(node.name)) return `node name ${node.name}`;
      if (ops.has(node.opType)) return `op ${node.opType}`;
      for (const pattern of userOnly ? userPatterns : patterns) {
        if (pattern.test(node.name)) return `pattern /${pattern.source}/`;
        if (node.inputs.some((input) => pattern.test(input))) return `pattern /${pattern.source}/`;
      }
      return undefined;
    },
    settings: { nodes: [...nodes].sort(), ops: [...ops].sort(), patterns: patterns.map((p) => p.source) },
  };
}
