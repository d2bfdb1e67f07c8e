/**
 * The pure pieces of strata's image half: names, manifests, configs, `-c`
 * changes. No I/O here; the image store and the CLI build on these.
 */
export * from './reference.js';
export * from './transport.js';
export * from './media-types.js';
export * from './json-document.js';
export * from './manifest.js';
export * from './archive-manifest.js';
export * from './image-config.js';
export * from './config-json.js';
export * from './new-config.js';
export * from './shell-words.js';
export * from './healthcheck.js';
export * from './change-instructions.js';
