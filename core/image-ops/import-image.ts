import type { Readable } from 'node:stream';
import { applyChanges } from '../images/change-instructions.js';
import { serializeImageConfig } from '../images/config-json.js';
import { importedImageConfig } from '../images/new-config.js';
import type { ImageReference } from '../images/reference.js';
import type { Store } from '../store/store.js';

export interface ImportImageOptions {
  /** The name to give it (`REPO[:TAG]`). */
  readonly name?: ImageReference;
  /** `-c` instructions (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, ...). */
  readonly changes?: readonly string[];
  /** `-m`: the comment instead of `Imported from -`. */
  readonly message?: string;
  readonly onProgress?: (bytes: number) => void;
}

/**
 * `import`: a root filesystem tarball (plain or gzip) as a one-layer image, as
 * `docker import` makes it. The `-c` changes are checked before any byte is
 * read (EINVALID with Docker's message). Returns the image id (hex). A failure
 * leaves no layer and no image behind.
 */
export async function importImage(store: Store, input: Readable, options: ImportImageOptions = {}): Promise<string> {
  const config = (options.changes ?? []).length > 0 ? applyChanges({}, options.changes!) : {};
  const { images, layers, root } = store;
  const lease = images.beginLease();
  try {
    const layer = await root.lock.run('import', () => layers.importLayerLocked(input, { lease, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }));
    const bytes = serializeImageConfig(
      importedImageConfig({ created: new Date(), diffId: layer.diffId!, config, ...(options.message === undefined ? {} : { message: options.message }) }),
    );
    return (await images.register(lease, { config: bytes, ...(options.name ? { names: [options.name] } : {}) })).id;
  } catch (err) {
    await root.lock.run('import', () => images.abandon(lease));
    throw err;
  }
}
