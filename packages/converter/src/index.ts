/**
 * @samclip/converter: converts SAM-CLIP ONNX graphs into fp16, int8 and int4 variants for each
 * backend, as a pipeline of passes over the core graph IR, and validates every variant against
 * the fp32 graph before it is written into the bundle.
 */
export { convertBundle, DEFAULT_VALIDATION_BACKENDS } from './convert-bundle.js';
export type { ConvertBundleOptions, ConversionProgress, ConversionReport, GraphConversionReport } from './convert-bundle.js';
export { convertModel, buildPipeline, resolveSettings } from './convert-model.js';
export type { ConvertModelOptions, ResolvedSettings } from './convert-model.js';
export { CONVERSION_TARGETS, PRECISIONS, TARGET_PRESETS, targetPreset } from './targets.js';
export type { ConversionTarget, Precision, TargetPreset } from './targets.js';
export { createNodeFilter, DEFAULT_EXCLUSION_PATTERNS } from './exclusions.js';
export type { ExclusionSpec, NodeFilter } from './exclusions.js';
export { runPasses } from './pipeline.js';
export { calibrateActivationRanges } from './calibration.js';
export type { Pass, PassContext, PassReport } from './pipeline.js';
export { validateGraph, DEFAULT_THRESHOLDS, thresholdsFor } from './validate.js';
export type { BackendValidation, GraphValidation, OutputReport, Thresholds, ValidationThresholds } from './validate.js';
export { cosineSimilarity, maxAbsError, maskIoU, argmaxRows, nearestClass, agreement, median } from './metrics.js';
export { shapeInferencePass, inferTypes } from './passes/shape-inference.js';
export { constantFoldingPass } from './passes/constant-folding.js';
export { deadNodeEliminationPass, eliminateDeadNodes } from './passes/dead-node-elimination.js';
export { initializerDedupPass } from './passes/initializer-dedup.js';
export { castCleanupPass } from './passes/cast-cleanup.js';
export { createFloat16Pass, FLOAT16_SENSITIVE_OPS } from './passes/float16.js';
export type { Float16Options } from './passes/float16.js';
export { createInt8DynamicPass } from './passes/int8-dynamic.js';
export type { Int8DynamicOptions } from './passes/int8-dynamic.js';
export { createInt8QdqPass } from './passes/int8-qdq.js';
export type { Int8QdqOptions } from './passes/int8-qdq.js';
export { createInt4Pass } from './passes/int4-block.js';
export { createAttentionChunkingPass, DEFAULT_CHUNK_SCORE_BYTES, DEFAULT_MIN_SCORE_BYTES } from './passes/attention-chunking.js';
export type { AttentionChunkingOptions } from './passes/attention-chunking.js';
export type { Int4Format, Int4Options } from './passes/int4-block.js';
export { CONVERTER_ID, CONVERTER_VERSION } from './version.js';
