/**
 * Architecture facts a bundle states in `samclip.json` `config`; contract dims are resolved from
 * them. Extra keys are allowed (exporters may record more), so the type stays open.
 */
export interface SamClipConfig {
  /** SAM side: longest side after resize; the SAM image input is imageSize². */
  imageSize?: number;
  patchSize?: number;
  /** imageSize / patchSize: the spatial size of backbone features and image embeddings. */
  gridSize?: number;
  /** D of `backbone_features`. */
  backboneDim?: number;
  /** C of `image_embeddings`. */
  embedDim?: number;
  /** `mask_input` is 1×1×maskInputSize² (4·gridSize for SAM). */
  maskInputSize?: number;
  /** E: the CLIP embedding space. */
  textEmbedDim?: number;
  contextLength?: number;
  vocabSize?: number;
  clipImageSize?: number;
  clipGridSize?: number;
  /** CLIP's exp(logit_scale): multiplies cosine similarity before softmax. */
  logitScale?: number;
  [key: string]: unknown;
}

/** The integer config keys that contract dims refer to. */
export const CONFIG_DIM_KEYS = [
  'imageSize',
  'patchSize',
  'gridSize',
  'backboneDim',
  'embedDim',
  'maskInputSize',
  'textEmbedDim',
  'contextLength',
  'vocabSize',
  'clipImageSize',
  'clipGridSize',
] as const;

export type ConfigDimKey = (typeof CONFIG_DIM_KEYS)[number];
