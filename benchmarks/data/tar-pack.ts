import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../../core/engine.js';
import { contentChunks } from './content.js';
import { ITEM_MTIME, type LayerItem } from './layer-items.js';

type Pack = ReturnType<typeof tar.pack>;
const EMPTY = Buffer.alloc(0);

function whiteoutName(path: string): string {
  const dir = posix.dirname(path);
  return `${dir === '.' ? '' : `${dir}/`}${WHITEOUT_PREFIX}${posix.basename(path)}`;
}

/** Adds one item; resolves once the pack has taken it (file bodies honour backpressure). */
async function addItem(pack: Pack, item: LayerItem): Promise<void> {
  const common = { uid: 0, gid: 0, mtime: ITEM_MTIME };
  switch (item.kind) {
    case 'dir':
      return entry(pack, { ...common, name: item.path, type: 'directory', mode: item.mode });
    case 'symlink':
      return entry(pack, { ...common, name: item.path, type: 'symlink', linkname: item.target, mode: 0o777 });
    case 'hardlink':
      return entry(pack, { ...common, name: item.path, type: 'link', linkname: item.target, mode: 0o644 });
    case 'whiteout':
      return entry(pack, { ...common, name: whiteoutName(item.path), type: 'file', mode: 0, size: 0 });
    case 'opaque':
      return entry(pack, { ...common, name: `${item.path}/${OPAQUE_MARKER}`, type: 'file', mode: 0, size: 0 });
    case 'file': {
      const done = new Promise<void>((resolve, reject) => {
        const body = pack.entry({ ...common, name: item.path, type: 'file', mode: item.mode, size: item.size }, (err) => (err ? reject(err) : resolve()));
        void (async () => {
          for (const chunk of contentChunks(item.seed, item.size)) {
            if (!body.write(chunk)) await once(body, 'drain');
          }
          body.end(() => undefined);
        })().catch(reject);
      });
      return done;
    }
  }
}

function entry(pack: Pack, header: Parameters<Pack["entry"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, EMPTY, (err) => (err ? reject(err) : resolve())));
}

/** An uncompressed OCI layer tarball of the items, streamed with bounded memory. */
export function packItems(items: Iterable<LayerItem>): Readable {
  const pack = tar.pack();
  void (async () => {
    for (const item of items) await addItem(pack, item);
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

/** Writes the items' tarball to `file`. */
export async function writeItemsTar(items: Iterable<LayerItem>, file: string): Promise<void> {
  await pipeline(packItems(items), createWriteStream(file));
}
