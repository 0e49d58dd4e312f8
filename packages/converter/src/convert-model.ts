/**
 * Converts one in-memory model: clean-up passes, then the precision pass the target preset picks,
 * then clean-up again. Engine-free; `convertBundle` drives it graph by graph.
 */
import type { Model } from '@samclip/core';
import type { ExclusionSpec } from './exclusions.js';
import { createNodeFilter } from './exclusions.js';
import type { Pass, PassReport } from './pipeline.js';
import { runPasses } from './pipeline.js';
import { createAttentionChunkingPass } from './passes/attention-chunking.js';
import { castCleanupPass } from './passes/cast-cleanup.js';
import { constantFoldingPass } from './passes/constant-folding.js';
import { deadNodeEliminationPass } from './passes/dead-node-elimination.js';
import { createFloat16Pass } from './passes/float16.js';
import type { Int4Format } from './passes/int4-block.js';
import { createInt4Pass } from './passes/int4-block.js';
import { createInt8DynamicPass } from './passes/int8-dynamic.js';
import { createInt8QdqPass } from './passes/int8-qdq.js';
import { initializerDedupPass } from './passes/initializer-dedup.js';
import { layerNorm2dFusionPass } from './passes/layernorm2d-fusion.js';
import { shapeInferencePass } from './passes/shape-inference.js';
import type { ConversionTarget, Precision, TargetPreset } from './targets.js';
import { assertPrecision, targetPreset } from './targets.js';

export interface ConvertModelOptions {
  to: Precision;
  target: ConversionTarget;
  exclusions?: ExclusionSpec;
  /** Overrides of the target preset (for experiments; recorded in provenance). */
  preset?: Partial<TargetPreset>;
  /** int8 dynamic only: weights in ±63 for CPUs whose u8×s8 kernels saturate. */
  reduceRange?: boolean;
  /** int8 dynamic only: also quantize Conv through ConvInteger. */
  quantizeConv?: boolean;
  /** int8 dynamic only: static activation ranges from `calibrateActivationRanges` (not recorded in provenance). */
  activationRanges?: Readonly<Record<string, { min: number; max: number }>>;
  /**
   * int8/int4: large weights left in float (positional embeddings, excluded layers) are stored as
   * float16 and cast back once (default true); false keeps their float32 bytes.
   */
  halfFloatWeights?: boolean;
  onPass?: (report: PassReport) => void;
}

export interface ResolvedSettings {
  to: Precision;
  target: ConversionTarget;
  preset: TargetPreset;
  reduceRange: boolean;
  quantizeConv: boolean;
  halfFloatWeights: boolean;
  exclusions: { nodes: string[]; ops: string[]; patterns: string[] };
}

export function resolveSettings(options: ConvertModelOptions): ResolvedSettings {
  assertPrecision(options.to);
  const preset = { ...targetPreset(options.target), ...options.preset };
  return {
    to: options.to,
    target: options.target,
    preset,
    reduceRange: options.reduceRange ?? false,
    quantizeConv: options.quantizeConv ?? false,
    halfFloatWeights: options.halfFloatWeights ?? true,
    exclusions: createNodeFilter(options.exclusions).settings,
  };
}

/** Float weights below this size stay float32 in int8/int4 variants: a cast costs more than it saves. */
const HALF_FLOAT_MIN_ELEMENTS = 4096;

export function buildPipeline(settings: ResolvedSettings, activationRanges?: ConvertModelOptions['activationRanges']): Pass[] {
  const cleanup = [constantFoldingPass, deadNodeEliminationPass, initializerDedupPass, shapeInferencePass];
  const structure: Pass[] = [];
  // onnxruntime runs LayerNormalization as one contiguous kernel; tfjs has no kernel for it.
  if (settings.target !== 'tfjs') structure.push(layerNorm2dFusionPass);
  const chunking = settings.preset.chunkAttention;
  if (chunking) {
    // Chunking needs static shapes (from folding and inference above); it must precede quantization so
    // every chunk's MatMul reads the same quantized Q/K/V rather than each being quantized apart.
    structure.push(createAttentionChunkingPass({ minScoreBytes: chunking.minScoreBytes, chunkScoreBytes: chunking.attentionChunkBytes }), shapeInferencePass);
  }
  const precision: Pass[] = [];
  switch (settings.to) {
    case 'fp32':
      break;
    case 'fp16':
      precision.push(createFloat16Pass({ mode: settings.preset.fp16 }), castCleanupPass);
      break;
    case 'int8':
      precision.push(
        settings.preset.int8 === 'dynamic' ? createInt8DynamicPass({ reduceRange: settings.reduceRange, conv: settings.quantizeConv, ...(activationRanges ? { activationRanges } : {}) }) : createInt8QdqPass(),
      );
      break;
    case 'int4':
      // Weights int4 cannot take (Conv kernels, embedding tables) fall back to int8 per channel.
      precision.push(
        createInt4Pass({ format: settings.preset.int4 as Int4Format, blockSize: settings.preset.int4BlockSize, accuracyLevel: settings.preset.int4AccuracyLevel }),
        createInt8QdqPass(),
      );
      break;
  }
  if ((settings.to === 'int8' || settings.to === 'int4') && settings.halfFloatWeights) precision.push(createFloat16Pass({ mode: 'storage', minElements: HALF_FLOAT_MIN_ELEMENTS }));
  return [...cleanup, ...structure, ...precision, deadNodeEliminationPass, shapeInferencePass];
}

/** Converts `model` in place and returns what each pass did. */
export function convertModel(model: Model, options: ConvertModelOptions): PassReport[] {
  const settings = resolveSettings(options);
  if (settings.to === 'int4' && settings.preset.int4 === 'matmulnbits' && !model.opsetImports.some((o) => o.domain === 'com.microsoft')) {
    model.opsetImports.push({ domain: 'com.microsoft', version: 1 });
  }
  return runPasses(model, buildPipeline(settings, options.activationRanges), { exclusions: createNodeFilter(options.exclusions) }, options.onPass);
}
