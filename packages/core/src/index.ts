export * from './errors.js';
export * from './graph/index.js';
export * from './backend/index.js';
export * from './schema/index.js';
export * from './bundle/index.js';
export * from './image/index.js';
export * from './tasks/index.js';
export * from './workers/index.js';
