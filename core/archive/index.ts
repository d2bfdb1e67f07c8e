export * from './entry.js';
export * from './tar-writer.js';
