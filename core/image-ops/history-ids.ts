import type { HistoryEntry } from '../images/image-config.js';
import type { ImageRecord } from '../store/image-rows.js';
import type { Store } from '../store/store.js';

/**
 * Which image each history entry of `image` is (oldest first; undefined: `<missing>`),
 * as `docker history` shows it: the image itself for its last entry, and for each
 * ancestor along the `parent` links (a build's intermediate images) the entry that is
 * its own last one (same created time and created_by). Ancestors no longer in the store
 * end the walk.
 */
export async function historyImageIds(store: Store, image: ImageRecord, history: readonly HistoryEntry[]): Promise<(string | undefined)[]> {
  const ids: (string | undefined)[] = history.map(() => undefined);
  if (ids.length > 0) ids[ids.length - 1] = image.id;
  let parent = image.parent;
  for (let depth = 0; parent !== undefined && depth < 1000; depth++) {
    let record: ImageRecord;
    try {
      record = store.images.get(parent);
    } catch {
      break;
    }
    const last = (await store.images.config(record.id)).config.history?.at(-1);
    if (last !== undefined) {
      const i = history.findIndex((h) => h.created === last.created && h.created_by === last.created_by);
      if (i >= 0 && ids[i] === undefined) ids[i] = record.id;
    }
    parent = record.parent;
  }
  return ids;
}
