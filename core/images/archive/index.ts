export * from './archive-types.js';
export { openImageArchive, type OpenedArchive, type OpenArchiveOptions } from './read-archive.js';
export { writeImageArchive } from './write-archive.js';
export { TarIndex, type TarIndexEntry, type TarIndexEntryType } from './tar-index.js';
export { verifyingStream, digestOf, isDigest, type Expected } from './verify-stream.js';
export { JSON_BLOB_LIMIT } from './config-blob.js';
