/**
 * Splits fused quantized ops so constant folding can dequantize their weights at load:
 * com.microsoft MatMulNBits(A, B, scales, zp, g_idx, bias) → DequantizeNBits(B, scales, zp) → MatMul (→ Add bias).
 */
import type { Node } from '@samclip/core';
import { INTERNAL_DOMAIN } from '../kernels/internal.js';

export function decomposeFusedOps(nodes: readonly Node[]): Node[] {
  return nodes.flatMap((node) => {
    if (node.domain !== 'com.microsoft' || node.opType !== 'MatMulNBits' || (node.inputs[4] ?? '') !== '') return [node];
    const y = node.outputs[0]!;
    const weights = `${y}::dequantized_weights`;
    const bias = node.inputs[5] ?? '';
    const product = bias ? `${y}::no_bias` : y;
    const out: Node[] = [
      { ...node, name: `${node.name}::dequantize`, domain: INTERNAL_DOMAIN, opType: 'DequantizeNBits', inputs: node.inputs.slice(1, 4), outputs: [weights] },
      { name: `${node.name}::matmul`, opType: 'MatMul', domain: '', inputs: [node.inputs[0]!, weights], outputs: [product], attributes: [] },
    ];
    if (bias) out.push({ name: `${node.name}::bias`, opType: 'Add', domain: '', inputs: [product, bias], outputs: [y], attributes: [] });
    return out;
  });
}
