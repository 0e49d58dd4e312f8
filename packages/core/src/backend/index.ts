export type * from './types.js';
export * from './registry.js';
