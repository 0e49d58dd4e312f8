export type { RgbImage, RgbaImageLike, RawPixels, BinaryMask, FloatMap, ImageSize } from './types.js';
export {
  DEFAULT_MAX_PIXELS,
  checkImageSize,
  rgbFromRgba,
  rgbFromRaw,
  toRgbImage,
  rgbFromDrawable,
  loadImage,
  registerImageResolver,
  type ImageLimits,
  type ImageInput,
  type ImageResolver,
  type EncodedImage,
  type CanvasImageSourceLike,
} from './convert.js';
export { resampleUint8, resampleCoefficients, resampleMethod, resizeRgb, type ResampleFilter, type ResampleMethod, type ResampleCoefficients } from './resample.js';
export {
  resizedSizeForLongestSide,
  resizedSizeForShortestSide,
  normalizeToPlanar,
  centerCrop,
  preprocessForSam,
  preprocessForClip,
  type ChannelTriple,
  type SamPreprocessOptions,
  type ClipPreprocessOptions,
  type PreprocessedImage,
} from './preprocess.js';
export {
  upsampleBilinear,
  cropMap,
  maskLogitsToImage,
  maskFromLogits,
  maskLogitsToImageReference,
  thresholdMap,
  maskPlane,
  paddedMaskPlane,
  lowResExtentRead,
  gridExtentRead,
  maskStats,
  stabilityScore,
  maskIoU,
  type MaskGeometry,
  type MaskStats,
} from './masks.js';
export { encodeRle, decodeRle, encodeRleString, rleCountsToString, rleCountsFromString, rleArea, type CocoRle, type CocoRleString } from './rle.js';
export { DEFAULT_PALETTE, paletteColor, overlayMasks, colorizeLabelMap, type Rgb, type OverlayOptions } from './overlay.js';
export { maskToPolygons, type MaskPolygon, type PolygonOptions } from './polygons.js';
