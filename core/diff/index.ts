export * from './diff-entry.js';
export * from './compare-trees.js';
export * from './changes.js';
export * from './layer-tar.js';
export * from './naive.js';
export { sameContent } from './same-node.js';
