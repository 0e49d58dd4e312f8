/**
 * Upscaling only the masks a caller reads.
 *
 * SAM's decoder predicts four masks (the single-mask output, then three multimask ones) and
 * upsamples all of them to low-res logits: the hypernetwork product of each mask token's vector
 * with the upscaled embedding, and the reorders that interleave the sub-pixels into rows. A click
 * that shows only the best of the three multimask outputs reads one of the four. The IoU
 * predictions come from their own token, before the product, so the best mask is known in the
 * graph before any mask is upsampled.
 *
 * Like cropOutputUpscaling, this rewrite handles the token-layout upscaling samclip's exporter
 * writes (node names under `/output_upscaling_token_layout/`), whose hypernetwork vectors
 * [B, K, C] come into the scope through a Transpose and whose mask count is read from their
 * shape. Other graphs are left alone.
 */
import { defaultOpset, int64Initializer, singleOutputNode, UPSCALING_SCOPE } from './token-upscaling.js';
import type { Graph, Model, Node } from './types.js';

/** The graph input the rewrite adds: int64 [n], the masks to upscale, in order; −1 stands for the best multimask output. */
export const UPSCALE_MASKS_INPUT = 'upscale_masks';
/** The graph output the rewrite adds: int64 [n], the mask each plane of `low_res_masks` is (−1 resolved). */
export const UPSCALED_MASKS_OUTPUT = 'upscaled_masks';
/** In {@link UPSCALE_MASKS_INPUT}: the multimask output (1…K−1) with the highest predicted IoU, the first of equals. */
export const BEST_MULTIMASK = -1;

const SELECT_SCOPE = '/upscale_select/';
const IOU_OUTPUT = 'iou_predictions';
const MASKS_OUTPUT = 'low_res_masks';

/** The number of masks the graph predicts, from the IoU output's declared shape, else undefined. */
function declaredMaskCount(graph: Graph): number | undefined {
  const iou = graph.outputs.find((output) => output.name === IOU_OUTPUT)?.type;
  const count = iou?.kind === 'tensor' ? iou.shape?.[1] : undefined;
  return typeof count === 'number' ? count : undefined;
}

/**
 * Rewrites `model` in place so its output upscaling computes only the masks a new int64 [n] input
 * {@link UPSCALE_MASKS_INPUT} names (indices into the K predicted masks; {@link BEST_MULTIMASK} for
 * the multimask output with the highest predicted IoU), in that order: `low_res_masks` becomes
 * [B, n, H, W], each plane bit for bit the graph's plane of that mask, and a new output
 * {@link UPSCALED_MASKS_OUTPUT} says which mask each plane is. One image per call (B = 1), as the
 * SDK runs the decoder. Returns the input's name, or undefined (graph unchanged) when the graph
 * predicts a single mask, has no token-layout upscaling this rewrite recognises, or already has the input.
 */
export function selectUpscaledMasks(model: Model): string | undefined {
  const graph = model.graph;
  const opset = defaultOpset(model);
  // Slice takes its bounds as inputs from opset 10 on, ArgMax its select_last_index from 12.
  if (opset < 12 || graph.inputs.some((input) => input.name === UPSCALE_MASKS_INPUT)) return undefined;
  const maskCount = declaredMaskCount(graph);
  if (maskCount === undefined || maskCount < 2 || !graph.outputs.some((output) => output.name === MASKS_OUTPUT)) return undefined;
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((output) => producers.set(output, n)));
  const inScope = (n: Node | undefined): boolean => n !== undefined && n.name.startsWith(UPSCALING_SCOPE);
  const scopeNodes = graph.nodes.filter(inScope);
  if (!inScope(producers.get(MASKS_OUTPUT))) return undefined;

  // The hypernetwork vectors: what the scope transposes from outside itself.
  const hyper = new Set(scopeNodes.filter((n) => n.opType === 'Transpose' && producers.has(n.inputs[0] ?? '') && !inScope(producers.get(n.inputs[0]!))).map((n) => n.inputs[0]!));
  if (hyper.size !== 1) return undefined;
  const vectors = [...hyper][0]!;
  const firstRead = graph.nodes.findIndex((n) => inScope(n) && n.inputs.includes(vectors));
  const computedBefore = new Set(graph.nodes.slice(0, firstRead).flatMap((n) => n.outputs));
  if (!computedBefore.has(vectors) || !computedBefore.has(IOU_OUTPUT)) return undefined;

  const v = (name: string): string => `${SELECT_SCOPE}${name}`;
  graph.initializers.push(
    int64Initializer(v('multimask_first'), [1n]),
    int64Initializer(v('multimask_end'), [BigInt(maskCount)]),
    int64Initializer(v('mask_axis'), [1n]),
    int64Initializer(v('one'), [1n], []),
    int64Initializer(v('zero'), [0n], []),
  );
  const selectNodes: Node[] = [
    singleOutputNode('Slice', [IOU_OUTPUT, v('multimask_first'), v('multimask_end'), v('mask_axis')], v('multimask_iou')),
    // The first of equal maxima, as the SDK's argmax picks when it chooses the best itself.
    singleOutputNode('ArgMax', [v('multimask_iou')], v('best_in_multimask'), [
      { name: 'axis', value: { type: 'int', value: 1 } },
      { name: 'keepdims', value: { type: 'int', value: 0 } },
      { name: 'select_last_index', value: { type: 'int', value: 0 } },
    ]),
    singleOutputNode('Add', [v('best_in_multimask'), v('one')], v('best')),
    singleOutputNode('Less', [UPSCALE_MASKS_INPUT, v('zero')], v('wants_best')),
    singleOutputNode('Where', [v('wants_best'), v('best'), UPSCALE_MASKS_INPUT], UPSCALED_MASKS_OUTPUT),
    singleOutputNode('Gather', [vectors, UPSCALED_MASKS_OUTPUT], v('vectors'), [{ name: 'axis', value: { type: 'int', value: 1 } }]),
  ];
  for (const n of scopeNodes) n.inputs = n.inputs.map((input) => (input === vectors ? v('vectors') : input));
  graph.nodes.splice(firstRead, 0, ...selectNodes);
  graph.inputs.push({ name: UPSCALE_MASKS_INPUT, type: { kind: 'tensor', elemType: 'int64', shape: ['upscaled_mask_count'] } });
  graph.outputs.push({ name: UPSCALED_MASKS_OUTPUT, type: { kind: 'tensor', elemType: 'int64', shape: ['upscaled_mask_count'] } });
  for (const output of graph.outputs) {
    // Meta's full-size `masks` output upsamples the low-res ones, so it has their count too.
    if ((output.name !== MASKS_OUTPUT && output.name !== 'masks') || output.type?.kind !== 'tensor' || !output.type.shape) continue;
    const shape = output.type.shape;
    output.type = { ...output.type, shape: shape.map((dim, axis) => (axis === 1 ? 'upscaled_mask_count' : dim)) };
  }
  return UPSCALE_MASKS_INPUT;
}
