export * from './types.js';
export * from './tensor.js';
export * from './codec.js';
export * from './query.js';
export { ONNX_SCHEMA_DESCRIPTOR } from './onnx-schema.js';
export * from './dead-nodes.js';
export { hasFloat16Arithmetic, upcastFloat16 } from './float16-upcast.js';
export { bindInputs, splitAtInputs, type StagedModels } from './stage.js';
export { cropOutputUpscaling, UPSCALE_GRID_INPUT } from './upscale-crop.js';
