/**
 * Image archives in and out, as streams, independent of the store.
 *
 * Loading (`strata load -i FILE|DIR|-`):
 *
 *     const archive = await openImageArchive(input, { tmpDir: store.tmpDir });
 *     try {
 *       for (const image of archive.images) {          // configs and manifests verified
 *         for (const layer of image.layers) {          // bottom first
 *           const raw = await layer.open();            // bytes as stored; blob digest verified at its end
 *           const tar = await openLayerStream(raw);    // core/archive: gzip / zstd / plain by magic
 *           // apply `tar` on the parent chain, check its sha256 is layer.diffId
 *         }
 *         // keep image.config.bytes (and image.manifest) byte for byte; name it
 *         // by image.names (full references) and image.tags (bare ref.name tags)
 *       }
 *     } finally {
 *       await archive.close();                         // removes the spooled copy
 *     }
 *
 * Saving (`strata save -o FILE|DIR [--format F]`): build one `SaveImage` per
 * image (its tagged names parsed into `SaveName`s, the config bytes, the stored
 * manifest if any, per layer the uncompressed tar by `open()` with its diffID
 * and size, and the stored compressed blob when kept) and call
 * `writeImageArchive(images, format, pathOrStdout)`.
 */
export * from './archive-types.js';
export { openImageArchive, type OpenedArchive, type OpenArchiveOptions } from './read-archive.js';
export { writeImageArchive } from './write-archive.js';
export { TarIndex, type TarIndexEntry, type TarIndexEntryType } from './tar-index.js';
export { verifyingStream, type Expected } from './verify-stream.js';
export { JSON_BLOB_LIMIT } from './config-blob.js';
