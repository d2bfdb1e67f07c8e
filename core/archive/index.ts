export * from './entry.js';
export * from './tar-writer.js';
export * from './decompress.js';
export * from './tar-reader.js';
export * from './entry-name.js';
export * from './whiteout-handler.js';
export * from './safe-extract.js';
export { MAX_DEPTH, PATH_MAX, NAME_MAX } from './safe-path.js';
