/**
 * `@samclip/core/node`: the Node-only parts of core (file system, home directory). Browser code
 * imports `@samclip/core`, which uses no Node built-ins.
 */
export {
  nodeFileSource,
  defaultCacheDir,
  fileDownloadCache,
  writeFileAtomic,
  loadBundleFromDirectory,
  openBundle,
  fileEntryFor,
  writeBundle,
  updateBundle,
  assembleBundle,
  SAM_PIXEL_MEAN,
  SAM_PIXEL_STD,
  CLIP_PIXEL_MEAN,
  CLIP_PIXEL_STD,
} from './bundle/node.js';
export type { OpenBundleOptions, WriteBundleOptions, AssembleGraphInput, AssembleBundleOptions } from './bundle/node.js';
export {
  decodeImage,
  readImageFile,
  readJpegHeader,
  readWebpHeader,
  applyExifOrientation,
  sniffImageFormat,
  nodeImageResolver,
  registerNodeImageDecoder,
  encodePng,
  encodeMaskPng,
} from './image/node.js';
export type { DecodeOptions, ImageFormat } from './image/node.js';
export { loadSamClip, type LoadSamClipOptions } from './tasks/node.js';
export { nodeWorkerEndpoint, exposeNodeWorker, workerThreads, createNodeWorkerPool, defaultPoolSize } from './workers/node.js';
export type { NodeWorkerPoolOptions } from './workers/node.js';
