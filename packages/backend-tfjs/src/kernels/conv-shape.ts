/** Static output shapes of convolutions, for planning. */
import type { ShapeContext } from './types.js';

export function convOutputShape(ctx: ShapeContext, channelsLast: boolean): number[] | undefined {
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  if (!x || !w) return undefined;
  const spatial = channelsLast ? x.slice(1, -1) : x.slice(2);
  const kernel = channelsLast ? w.slice(0, -2) : w.slice(2);
  const outChannels = channelsLast ? w[w.length - 1]! : w[0]!;
  const n = spatial.length;
  const strides = ctx.attrInts('strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.attrInts('dilations') ?? new Array<number>(n).fill(1);
  const pads = ctx.attrInts('pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = (ctx.node.attributes.find((a) => a.name === 'auto_pad')?.value.value as string | undefined) ?? 'NOTSET';
  const out = spatial.map((size, i) => {
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / strides[i]!);
    const effective = (kernel[i]! - 1) * dilations[i]! + 1;
    const padded = autoPad === 'VALID' ? size : size + pads[i]! + pads[i + n]!;
    return Math.floor((padded - effective) / strides[i]!) + 1;
  });
  return channelsLast ? [x[0]!, ...out, outChannels] : [x[0]!, outChannels, ...out];
}
