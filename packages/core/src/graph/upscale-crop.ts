/**
 * Cropping SAM's output upscaling to part of the embedding grid.
 *
 * The mask decoder's output upscaling (two stride-2, 2×2 transposed convolutions with a LayerNorm
 * and GELUs between them, then the hypernetwork product) maps every embedding token to its own
 * 4×4 block of low-res logits: no token reads another. On a 3:2 photo a third of the 64×64 tokens
 * lie in the padding below the image, and the masks SamPredictor returns never read their logits.
 * Computing the upscaling for the image's tokens only gives the same masks with a third less of
 * the decoder's largest products.
 *
 * This rewrite handles the token-layout upscaling samclip's exporter writes (node names under
 * `/output_upscaling_token_layout/`, see tools/samclip_tools/model/mask_decoder.py): it takes the
 * transformer's tokens [B, h·w, C] and the grid size h, w as `Gather(Shape(·), 2 | 3)` of the
 * image embedding. Other graphs are left alone.
 */
import { getAttributeValue } from './query.js';
import { initializerToTensor } from './tensor.js';
import { defaultOpset, int64Initializer, singleOutputNode, UPSCALING_SCOPE } from './token-upscaling.js';
import type { Graph, Model, Node } from './types.js';

/** The graph input the rewrite adds: int64 [2], the token rows and columns to upscale from the top left. */
export const UPSCALE_GRID_INPUT = 'upscale_grid';

const CROP_SCOPE = '/upscale_crop/';



/** The single integer an initializer or Constant node holds, else undefined. */
function constantInt(graph: Graph, producers: ReadonlyMap<string, Node>, name: string): number | undefined {
  const initializer = graph.initializers.find((i) => i.name === name);
  const tensor = initializer ?? (producers.get(name)?.opType === 'Constant' ? getAttributeValue(producers.get(name)!, 'value', 'tensor') : undefined);
  if (!tensor || tensor.external) return undefined;
  const data = initializerToTensor(tensor).data;
  return data.length === 1 && typeof data[0] !== 'string' ? Number(data[0]) : undefined;
}

/**
 * Rewrites `model` in place so its output upscaling reads only the top-left rows × columns of the
 * token grid, given by a new int64 [2] input {@link UPSCALE_GRID_INPUT} (at most the grid's own
 * sides; the engine rejects larger ones when it reshapes). The full grid reproduces the graph's
 * outputs exactly; a smaller one makes the low-res masks 4·rows × 4·cols, the top-left part of the
 * full ones, bit for bit. Returns the input's name, or undefined (graph unchanged) when
 * the graph has no token-layout upscaling this rewrite recognises, or already has the input.
 */
export function cropOutputUpscaling(model: Model): string | undefined {
  const graph = model.graph;
  const opset = defaultOpset(model);
  // Unsqueeze and Slice take their axes as inputs from opset 13 on.
  if (opset < 13 || graph.inputs.some((input) => input.name === UPSCALE_GRID_INPUT)) return undefined;
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((output) => producers.set(output, n)));
  const inScope = (n: Node | undefined): boolean => n !== undefined && n.name.startsWith(UPSCALING_SCOPE);
  const scopeNodes = graph.nodes.filter(inScope);
  if (scopeNodes.length === 0) return undefined;
  const constants = new Set(graph.initializers.map((i) => i.name));

  // The tokens: what the scope reshapes from outside itself (the hypernetwork's output comes in
  // through a Transpose instead).
  const tokens = new Set<string>();
  for (const n of scopeNodes) {
    const source = n.inputs[0];
    if (n.opType === 'Reshape' && source && !inScope(producers.get(source)) && !constants.has(source) && producers.get(source)?.opType !== 'Constant') tokens.add(source);
  }
  // The grid's height and width: Gather(Shape(embedding), 2 or 3) read from outside the scope.
  const gridSides = new Map<string, 'rows' | 'cols'>();
  for (const n of scopeNodes) {
    for (const input of n.inputs) {
      const gather = producers.get(input);
      if (!gather || inScope(gather) || gather.opType !== 'Gather' || producers.get(gather.inputs[0] ?? '')?.opType !== 'Shape') continue;
      const index = constantInt(graph, producers, gather.inputs[1] ?? '');
      if (index === 2) gridSides.set(input, 'rows');
      else if (index === 3) gridSides.set(input, 'cols');
    }
  }
  const sides = new Set(gridSides.values());
  if (tokens.size !== 1 || !sides.has('rows') || !sides.has('cols')) return undefined;
  const source = [...tokens][0]!;
  const heightRoot = [...gridSides].find(([, side]) => side === 'rows')![0];
  const widthRoot = [...gridSides].find(([, side]) => side === 'cols')![0];

  // The tokens are cropped just before the scope first reads them; by then the tokens and the grid
  // sides must be computed (nodes are in topological order).
  const firstRead = graph.nodes.findIndex((n) => inScope(n) && n.inputs.includes(source));
  const computedBefore = new Set([...graph.inputs.map((i) => i.name), ...constants, ...graph.nodes.slice(0, firstRead).flatMap((n) => n.outputs)]);
  if (![source, ...gridSides.keys()].every((name) => computedBefore.has(name))) return undefined;

  const v = (name: string): string => `${CROP_SCOPE}${name}`;
  graph.initializers.push(
    int64Initializer(v('zero'), [0], []),
    int64Initializer(v('one'), [1], []),
    int64Initializer(v('axis0'), [0]),
    int64Initializer(v('grid_axes'), [1, 2]),
    int64Initializer(v('grid_origin'), [0, 0]),
    int64Initializer(v('keep_batch'), [0]),
    int64Initializer(v('rest'), [-1]),
  );
  const unsqueeze = (input: string, output: string): Node => singleOutputNode('Unsqueeze', [input, v('axis0')], output);
  // rows and cols read only the new input, so they go first: scope nodes that compute shapes run early.
  const sideNodes: Node[] = [singleOutputNode('Gather', [UPSCALE_GRID_INPUT, v('zero')], v('rows')), singleOutputNode('Gather', [UPSCALE_GRID_INPUT, v('one')], v('cols'))];
  const cropNodes: Node[] = [
    unsqueeze(heightRoot, v('height_1d')),
    unsqueeze(widthRoot, v('width_1d')),
    // [B, h·w, C] → [B, h, w, C] → top-left rows × cols → [B, rows·cols, C]
    singleOutputNode('Concat', [v('keep_batch'), v('height_1d'), v('width_1d'), v('rest')], v('grid_shape'), [{ name: 'axis', value: { type: 'int', value: 0 } }]),
    singleOutputNode('Reshape', [source, v('grid_shape')], v('grid_tokens')),
    singleOutputNode('Slice', [v('grid_tokens'), v('grid_origin'), UPSCALE_GRID_INPUT, v('grid_axes')], v('cropped_grid')),
    singleOutputNode('Mul', [v('rows'), v('cols')], v('cropped_count')),
    unsqueeze(v('cropped_count'), v('cropped_count_1d')),
    singleOutputNode('Concat', [v('keep_batch'), v('cropped_count_1d'), v('rest')], v('token_shape'), [{ name: 'axis', value: { type: 'int', value: 0 } }]),
    singleOutputNode('Reshape', [v('cropped_grid'), v('token_shape')], v('tokens')),
  ];
  // Every read of the grid's sides in the scope (the export may take them from more than one Shape) becomes the crop's.
  const replacement = new Map([[source, v('tokens')], ...[...gridSides].map(([name, side]): [string, string] => [name, v(side)])]);
  for (const n of scopeNodes) n.inputs = n.inputs.map((input) => replacement.get(input) ?? input);
  graph.nodes.splice(firstRead, 0, ...cropNodes);
  graph.nodes.unshift(...sideNodes);
  graph.inputs.push({ name: UPSCALE_GRID_INPUT, type: { kind: 'tensor', elemType: 'int64', shape: [2] } });
  // Outputs computed in the scope are now as large as the cropped grid: their last two sides vary.
  for (const output of graph.outputs) {
    if (!inScope(producers.get(output.name)) || output.type?.kind !== 'tensor' || !output.type.shape) continue;
    const shape = output.type.shape;
    output.type = { ...output.type, shape: shape.map((dim, axis) => (axis >= shape.length - 2 ? `${output.name}_${axis}` : dim)) };
  }
  return UPSCALE_GRID_INPUT;
}
