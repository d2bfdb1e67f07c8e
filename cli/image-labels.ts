import type { ImageRecord, Store } from '../core/engine.js';

/** The labels of `image` (a container's, as `ps`, `inspect` and filters read them); null where it has none or is gone. */
export async function imageLabels(store: Store, image: ImageRecord | undefined): Promise<Readonly<Record<string, string>> | null> {
  return image === undefined ? null : ((await store.images.config(image.id)).config.config?.Labels ?? null);
}
