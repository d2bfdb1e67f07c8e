import type { Readable } from 'node:stream';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import { chainIdOf, type Digest } from '../ids.js';
import { openImageArchive } from '../images/archive/index.js';
import type { ArchiveImage } from '../images/archive/index.js';
import { parseReference, withDefaultTag, type ImageReference } from '../images/reference.js';
import { layerCompression } from '../images/media-types.js';
import type { LayerBlob } from '../store/image-store.js';
import type { Lease } from '../store/leases.js';
import type { Store } from '../store/store.js';
import { teeBoth } from './tee-into.js';

/** One image `load` registered. */
export interface LoadedImage {
  readonly id: string;
  readonly names: readonly ImageReference[];
}

export interface LoadOptions {
  /** Read instead of process.stdin when the input is `-`. */
  readonly stdin?: Readable;
  /** Only the images this accepts (`index`: the image's position in the archive); default every one. */
  readonly pick?: (image: ArchiveImage, index: number) => boolean;
}

/**
 * `load`: every image of a docker-archive (`docker save`, Docker 25+ too),
 * an oci-archive or an OCI layout directory — detected from the content — or
 * of `-` (stdin). Each layer is applied through the driver on its parent
 * chain unless the store has it already (then it is not read at all), checked
 * against the diffID the config names; the config and the manifest are kept
 * byte for byte, and so are the compressed layer blobs of an OCI layout (so a
 * push offers the same digests). Each image registers in one transaction; a failure (or a
 * crash) leaves no half image and no orphan layer. Fails with EBADARCHIVE,
 * EUNSAFEARCHIVE, ECORRUPT naming the file or digest.
 */
export async function loadImages(store: Store, input: string, options: LoadOptions = {}): Promise<LoadedImage[]> {
  const archive = await openImageArchive(input, { tmpDir: await store.root.scratch(), ...(options.stdin ? { stdin: options.stdin } : {}) });
  try {
    const loaded: LoadedImage[] = [];
    for (const [i, image] of archive.images.entries()) if (options.pick?.(image, i) ?? true) loaded.push(await loadOne(store, image));
    return loaded;
  } finally {
    await archive.close();
  }
}

async function loadOne(store: Store, image: ArchiveImage): Promise<LoadedImage> {
  const names = image.names.map((n) => withDefaultTag(parseReference(n)));
  const lease = store.images.beginLease();
  try {
    let parent: { id: string; chainId: Digest } | undefined;
    const blobs: LayerBlob[] = [];
    for (const layer of image.layers) {
      const chainId = chainIdOf(parent?.chainId ?? null, layer.diffId);
      const have = store.layers.byChainId(chainId);
      if (have !== undefined) {
        holdExisting(store, lease, have.id);
        parent = { id: have.id, chainId };
        continue;
      }
      const raw = await layer.open();
      const importing = (tar: Readable) => store.root.lock.run('load', () => store.layers.importLayerLocked(tar, { lease, ...(parent ? { parent: parent.id } : {}) }));
      const compression = layer.mediaType === undefined ? undefined : layerCompression(layer.mediaType);
      const kept = layer.blobDigest !== undefined && (compression === 'gzip' || compression === 'zstd') ? { digest: layer.blobDigest, mediaType: layer.mediaType!, size: layer.size } : undefined;
      // A compressed blob is kept as it is (a push then offers the manifest's own digests).
      const made = await (kept === undefined ? importing(raw) : teeBoth(raw, (blob) => store.images.putBlob(lease, blob, kept.digest, kept.mediaType, `layer ${kept.digest}`), importing)).catch((err: unknown) => {
        throw namingLayer(err, layer.blobDigest ?? layer.diffId);
      });
      if (made.diffId !== layer.diffId) {
        throw new StrataError(ErrorCode.ECORRUPT, `layer ${layer.blobDigest ?? layer.diffId}: its tar hashes to ${made.diffId}, the config says ${layer.diffId}`);
      }
      if (kept !== undefined) blobs.push({ layer: made.id, ...kept });
      parent = { id: made.id, chainId };
    }
    const { id } = await store.images.register(lease, {
      config: image.config.bytes,
      ...(image.manifest ? { manifest: { bytes: image.manifest.bytes, mediaType: image.manifest.mediaType } } : {}),
      names,
      layerBlobs: blobs,
    });
    return { id, names };
  } catch (err) {
    await store.root.lock.run('load', () => store.images.abandon(lease));
    throw err;
  }
}

const BAD_DATA: readonly ErrorCode[] = [ErrorCode.ECORRUPT, ErrorCode.EBADARCHIVE, ErrorCode.EUNSAFEARCHIVE];

/** A bad-data error from reading a layer, its one line naming the layer (a truncated tar names only an entry). */
function namingLayer(err: unknown, digest: string): unknown {
  if (!isStrataError(err) || err.message.includes(digest)) return err;
  if (!BAD_DATA.includes(err.code)) return err;
  return new StrataError(err.code, `layer ${digest}: ${err.message}`, { cause: err });
}

/** One more reference to a layer the store has, held by the lease. */
function holdExisting(store: Store, lease: Lease, layer: string): void {
  store.root.db.transaction(() => {
    store.layers.retain(layer);
    lease.addLayer(layer);
  });
}
