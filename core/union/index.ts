export * from './whiteout-format.js';
export * from './upper-dir.js';
export * from './union-tree.js';
export * from './upper-whiteouts.js';
export * from './native-diff.js';
export * from './layer-home.js';
export * from './upper-layer-driver.js';
