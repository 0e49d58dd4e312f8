export { TfjsBackend, TFJS_BACKEND_NAMES, registerTfjsBackends } from './backend.js';
export type { RegisterTfjsOptions, TfjsBackendOptions, TfjsEngine } from './backend.js';
export { TfjsSession, TfjsDeviceTensor } from './session.js';
export { KernelRegistry, opKey } from './kernels/registry.js';
export { KERNELS } from './kernels/index.js';
export type { Kernel, KernelContext, ShapeContext } from './kernels/types.js';
