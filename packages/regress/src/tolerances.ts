/**
 * Tolerances per weight dtype and backend class. An output passes when
 * `max|actual − expected| ≤ atol + rtol · max|expected|` and its cosine with the expected tensor is at
 * least `minCosine`; masks pass when their IoU at logit threshold 0 is at least `minIou`. The
 * reasons for each number are in TOLERANCE_NOTES (printed into docs/regression.md).
 */
import type { VariantDType } from '@samclip/core';

export interface Tolerance {
  atol: number;
  rtol: number;
  minCosine: number;
  minIou: number;
}

/** Every output element within tolerance, NaN never passing. */
export function withinTolerance(maxAbsError: number, scale: number, tolerance: Pick<Tolerance, 'atol' | 'rtol'>): boolean {
  return maxAbsError <= tolerance.atol + tolerance.rtol * scale;
}

/** The bound a tensor of magnitude `scale` is held to. */
export function toleranceBound(scale: number, tolerance: Pick<Tolerance, 'atol' | 'rtol'>): number {
  return tolerance.atol + tolerance.rtol * scale;
}

type DTypeClass = 'fp32' | 'fp16' | 'int8' | 'int4';

function dtypeClass(dtype: VariantDType): DTypeClass {
  switch (dtype) {
    case 'fp32':
      return 'fp32';
    case 'fp16':
    case 'bf16':
    case 'mixed':
      return 'fp16';
    case 'int8':
    case 'uint8':
      return 'int8';
    case 'int4':
    case 'uint4':
      return 'int4';
  }
}

/** Against the PyTorch fp32 references. */
const REFERENCE: Readonly<Record<DTypeClass, { cpu: Tolerance; gpu: Tolerance }>> = {
  fp32: {
    cpu: { atol: 1e-4, rtol: 0, minCosine: 0.99999, minIou: 0.99 },
    gpu: { atol: 5e-4, rtol: 2e-4, minCosine: 0.9999, minIou: 0.98 },
  },
  fp16: {
    cpu: { atol: 1e-3, rtol: 1e-2, minCosine: 0.999, minIou: 0.95 },
    gpu: { atol: 1e-3, rtol: 4e-2, minCosine: 0.999, minIou: 0.95 },
  },
  int8: {
    cpu: { atol: 1e-2, rtol: 0.1, minCosine: 0.99, minIou: 0.85 },
    gpu: { atol: 1e-2, rtol: 0.1, minCosine: 0.99, minIou: 0.85 },
  },
  int4: {
    cpu: { atol: 2e-2, rtol: 0.5, minCosine: 0.85, minIou: 0.5 },
    gpu: { atol: 2e-2, rtol: 0.5, minCosine: 0.85, minIou: 0.5 },
  },
};

/** Between two backends running the same variant (the same weights and the same graph). */
const CROSS: Readonly<Record<DTypeClass, { cpu: Tolerance; gpu: Tolerance }>> = {
  fp32: {
    cpu: { atol: 1e-4, rtol: 0, minCosine: 0.99999, minIou: 0.99 },
    gpu: { atol: 5e-4, rtol: 2e-4, minCosine: 0.9999, minIou: 0.98 },
  },
  fp16: {
    cpu: { atol: 1e-4, rtol: 1e-4, minCosine: 0.9999, minIou: 0.98 },
    gpu: { atol: 1e-3, rtol: 1e-2, minCosine: 0.999, minIou: 0.95 },
  },
  int8: {
    cpu: { atol: 1e-3, rtol: 2e-2, minCosine: 0.999, minIou: 0.95 },
    gpu: { atol: 1e-3, rtol: 2e-2, minCosine: 0.999, minIou: 0.95 },
  },
  int4: {
    cpu: { atol: 1e-3, rtol: 5e-2, minCosine: 0.995, minIou: 0.9 },
    gpu: { atol: 1e-3, rtol: 5e-2, minCosine: 0.995, minIou: 0.9 },
  },
};

export function referenceTolerance(dtype: VariantDType, gpu: boolean): Tolerance {
  const entry = REFERENCE[dtypeClass(dtype)];
  return gpu ? entry.gpu : entry.cpu;
}

export function crossTolerance(dtype: VariantDType, gpu: boolean): Tolerance {
  const entry = CROSS[dtypeClass(dtype)];
  return gpu ? entry.gpu : entry.cpu;
}

/** Markdown table of every tolerance, for docs/regression.md. */
export function toleranceTable(): string {
  const rows = ['| weights | backends | vs PyTorch: atol + rtol·max\\|ref\\| | cosine ≥ | mask IoU ≥ | across backends: atol + rtol·max\\|ref\\| | cosine ≥ | mask IoU ≥ |', '|---|---|---|---|---|---|---|---|'];
  for (const dtype of Object.keys(REFERENCE) as DTypeClass[]) {
    for (const kind of ['cpu', 'gpu'] as const) {
      const ref = REFERENCE[dtype][kind];
      const cross = CROSS[dtype][kind];
      rows.push(
        `| ${dtype} | ${kind === 'cpu' ? 'CPU / WASM' : 'GPU (WebGPU, WebGL)'} | ${ref.atol} + ${ref.rtol}·max | ${ref.minCosine} | ${ref.minIou} | ${cross.atol} + ${cross.rtol}·max | ${cross.minCosine} | ${cross.minIou} |`,
      );
    }
  }
  return rows.join('\n');
}

export const TOLERANCE_NOTES = `Why these numbers:

- **fp32 on CPU and WASM** (ort-node, ort-wasm, tfjs-cpu, tfjs-wasm): the same float32 arithmetic as PyTorch up to
  summation order and fused multiply-adds, so an absolute 1e-4 on every output element, cosine ≥ 0.99999.
- **fp32 on GPUs** (WebGPU through Dawn/SwiftShader or a real adapter, WebGL2): shader \`exp\`, \`tanh\`, \`erf\` and
  division are not correctly rounded (WGSL and GLSL ES allow several ULP; WebNN's conformance tests accept 16–34 ULP
  for tanh, gelu and sigmoid) and tiled reductions sum in another order, so the error grows with depth and
  magnitude. Measured worst: 3.3e-4 on the SAM decoder's \`low_res_masks\` (max|ref| 1.9), the same in Dawn under
  Node and in Chromium, with cosine 1.000000 and mask IoU 0.9999; the bound is 5e-4 plus 2e-4 of max|ref|, still
  far below the 1e-2-and-up errors of a wrong kernel.
- **fp16 weights**: rounding a weight to 11 significant bits is a relative error up to 2⁻¹¹ ≈ 4.9e-4 per weight;
  through ~12 matmuls with residual paths it reaches a few 1e-3 of the output scale, so 1% of max|ref|, cosine ≥ 0.999.
  On GPUs 4%: the \`compute\` preset (\`fp16-ort-webgpu\`) rounds the decoder's attention weights too, and on the
  tiny-random decoder that alone moves the worst mask logit by 2.1e-2 = 2.6% of max|ref| (measured with float32
  arithmetic on ort-node and those weights rounded; cosine 0.999998, mask IoU 0.998). Where the adapter has no
  \`shader-f16\` (SwiftShader here) the ort WebGPU backends run fp16 graphs with float32 arithmetic
  (\`upcastFloat16\`), so the error there is the weights' alone.
- **int8 weights** (dynamic or QDQ): one quantization step is 1/255 of a channel's range; errors of 2–5% of the
  output scale are normal, so 10% of max|ref| and cosine ≥ 0.99, masks IoU ≥ 0.85.
- **int4 weights** (32-element blocks): a step is 1/15 of a block's range, a relative RMS error of about 7% per
  weight that grows roughly with the square root of depth, and more again along a chain of graphs (backbone → CLIP
  head). On the tiny-random fixture the worst measured values are 0.87 = 0.30·max|ref| (text_embeds), chain cosine
  0.92 and mask IoU 0.70 for MatMulNBits (\`int4\`, ort-node), and chain cosine 0.897 and box-prompt mask IoU 0.58
  for the unpacked form (\`int4-tfjs\`: its own quantization of the same weights, and the same numbers on all four
  tfjs columns, so not a kernel fault); int4 is a size option, so its gate (50% of
  max|ref|, cosine ≥ 0.85, IoU ≥ 0.5) catches broken kernels (cosine near 0, NaN), not int4's own loss. Measured for int8 and fp16 on the same fixture: 4% and
  0.8% of max|ref|, mask IoU 0.96 and 0.997.
- **Across backends** the weights are identical, so the gap is engine arithmetic alone: fp32 as above; quantized
  graphs quantize activations at run time (DynamicQuantizeLinear), where one rounding tie decided differently
  moves a value by a whole step, hence 2% (int8) and 5% (int4) of max|ref|.
- **Mask IoU** is computed at logit threshold 0 on the decoder's full-size masks; pixels whose logit is within
  the error bound of 0 may flip, so fp32 allows 1% (2% on GPUs) of the union to differ.
- **Top-1 label**: CLIP's best label from \`image_embeds\` against \`text_embeds\` must match PyTorch's for every dtype.`;
