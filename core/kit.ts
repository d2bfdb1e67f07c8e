/**
 * `strata/kit`: the hard parts of a driver, done once — the safe layer
 * extractor and tar reader/writer (archive/), plain-directory layers
 * (`DirectoryLayers`, `DirectoryTree`), durable mount counts, bind mounts, the
 * naive diff, and the overlay-format union helpers that overlay and fuse share.
 * Loads strata's native addon (mknod, xattrs, umount2); not SQLite.
 */
export * from './sys/index.js';
export * from './archive/index.js';
export * from './mount-counts.js';
export * from './bind-mount.js';
export * from './directory-tree.js';
export * from './diff/index.js';
export * from './union/index.js';
export * from './directory-layers.js';
export * from './disk-usage.js';
export * from './probe-record.js';
export * from './utf8-name.js';
