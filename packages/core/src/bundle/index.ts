export * from './manifest.js';
export * from './paths.js';
export * from './integrity.js';
export * from './source.js';
export * from './cache.js';
export * from './bundle.js';
export * from './load.js';
export * from './inspect.js';
