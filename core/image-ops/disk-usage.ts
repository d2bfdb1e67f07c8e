import type { ImageRecord } from '../store/image-rows.js';
import type { Store } from '../store/store.js';

/** One image as `system df -v` lists it. */
export interface ImageSpace {
  readonly image: ImageRecord;
  /** Bytes of its layers (content plus compressed blobs kept for them). */
  readonly size: number;
  /** Of which other images hold too. */
  readonly shared: number;
  readonly unique: number;
  /** Containers using it. */
  readonly containers: number;
}

/** `system df`'s Images row and its per-image detail; a layer several images share is counted once. */
export interface ImagesSpace {
  readonly total: number;
  /** Images some container uses. */
  readonly active: number;
  /** Bytes of every layer any image holds, each once. */
  readonly size: number;
  /** Bytes only unused images hold: what removing them all (`image prune -a`) frees. */
  readonly reclaimable: number;
  readonly images: readonly ImageSpace[];
}

/**
 * The disk images hold, by the one measure `rmi`, `image prune` and `system
 * df` share: a layer's bytes are its content size plus the compressed blobs
 * kept for it. `containersOf(imageId)` counts the containers using an image.
 */
export function imagesSpace(store: Store, containersOf: (imageId: string) => number = () => 0): ImagesSpace {
  const images = store.images.list();
  const holders = new Map<string, string[]>();
  for (const image of images) for (const layer of image.layers) holders.set(layer, [...(holders.get(layer) ?? []), image.id]);
  const bytesOf = (layer: string): number => layerBytes(store, layer);
  const active = new Set(images.filter((i) => containersOf(i.id) > 0).map((i) => i.id));
  let size = 0;
  let reclaimable = 0;
  for (const [layer, holding] of holders) {
    size += bytesOf(layer);
    if (!holding.some((id) => active.has(id))) reclaimable += bytesOf(layer);
  }
  return {
    total: images.length,
    active: active.size,
    size,
    reclaimable,
    images: images.map((image) => {
      const own = image.layers.reduce((sum, l) => sum + bytesOf(l), 0);
      const shared = image.layers.filter((l) => holders.get(l)!.length > 1).reduce((sum, l) => sum + bytesOf(l), 0);
      return { image, size: own, shared, unique: own - shared, containers: containersOf(image.id) };
    }),
  };
}

/** A layer's bytes: its content plus the compressed blobs kept for it. */
export function layerBytes(store: Store, layer: string): number {
  return store.layers.get(layer).contentSize + store.images.layerBlobs(layer).reduce((sum, b) => sum + b.size, 0);
}

/** The bytes of an image's layers (its SIZE). */
export function imageBytes(store: Store, image: ImageRecord): number {
  return image.layers.reduce((sum, l) => sum + layerBytes(store, l), 0);
}
