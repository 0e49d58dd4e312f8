export * from './errors.js';
export { cleanText, fixText, htmlUnescape } from './clean.js';
export * from './tokenizer.js';
export * from './templates.js';
export * from './sam.js';
export * from './amg.js';
