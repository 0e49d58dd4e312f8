export {
  SamClip,
  type SamClipOptions,
  type SamClipLoadOptions,
  type EncodeOptions,
  type SegmentOptions,
  type SegmentResult,
  type ClassifyOptions,
  type ClassifyResult,
  type LabelScore,
  type SegmentSemanticOptions,
  type SemanticResult,
  type SemanticClass,
  type SegmentEverythingOptions,
  type EverythingMask,
} from './samclip.js';
export { ImageEncoding } from './encoding.js';
export { GraphRunner, type GraphRunnerOptions } from './runner.js';
export { pruneToOutputs } from './prune.js';
