import type { Writable } from 'node:stream';
import type { Digest } from '../ids.js';
import { writeImageArchive, type ArchiveFormat, type SaveImage } from '../images/archive/index.js';
import { familiarName, familiarString, formatReference, parseReference, withDefaultTag } from '../images/reference.js';
import type { Store } from '../store/store.js';

/**
 * `save`: the images `refs` name, in `format` (docker-archive, oci-archive,
 * oci-dir), to a file, a directory or a stream. A name saves the image under
 * that name; an id saves it unnamed. Configs (and manifests, when their
 * layers are offered exactly) go out byte for byte, so a load gives back the
 * same image id; layers are the store's diffs (the imported bytes for imported
 * layers). Fails with ENOIMAGE.
 */
export async function saveImages(store: Store, refs: readonly string[], format: ArchiveFormat, output: string | Writable): Promise<void> {
  const images: SaveImage[] = [];
  for (const ref of refs) {
    const record = store.images.get(ref);
    const named = nameIn(ref, record.names);
    const { bytes } = await store.images.config(record.id);
    const manifest = await store.images.manifest(record);
    images.push({
      names: named === undefined ? [] : [named],
      config: { digest: `sha256:${record.id}` as Digest, bytes },
      ...(manifest !== undefined && record.manifestMediaType !== undefined ? { manifest: { digest: record.manifestDigest as Digest, bytes: manifest, mediaType: record.manifestMediaType } } : {}),
      layers: record.layers.map((id) => {
        const layer = store.layers.get(id);
        return { diffId: layer.diffId!, size: layer.size, open: () => store.layers.diff(id) };
      }),
    });
  }
  await writeImageArchive(images, format, output);
}

/** The save name `ref` gives, when it is one of the image's names. */
function nameIn(ref: string, names: readonly string[]) {
  let parsed;
  try {
    parsed = withDefaultTag(parseReference(ref));
  } catch {
    return undefined;
  }
  if (parsed.digest !== undefined || !names.includes(formatReference(parsed))) return undefined;
  return { repository: familiarName(parsed), tag: parsed.tag!, full: formatReference(parsed), familiar: familiarString(parsed) };
}
