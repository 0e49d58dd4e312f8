export * from './roles.js';
export * from './config.js';
export * from './contracts.js';
