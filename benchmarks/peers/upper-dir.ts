import { createWriteStream } from 'node:fs';
import { chmod, link, lstat, mkdir, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S_IFCHR, sys } from '../../core/engine.js';
import { contentChunks } from '../data/content.js';
import { ITEM_MTIME, type LayerItem } from '../data/layer-items.js';

/** The xattr kernel overlayfs (and fuse-overlayfs, as root) reads to make a directory opaque. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

async function clear(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st !== undefined && !st.isDirectory()) await rm(path, { force: true });
}

/**
 * Writes a layer's items into `dir` as an overlayfs upper directory: whiteouts
 * become character devices 0/0 and opaque directories get
 * `trusted.overlay.opaque=y`. This is the peers' own small builder, independent
 * of any strata driver, so kernel overlayfs and fuse-overlayfs get the same
 * stack the drivers were given as tarballs. Needs root (mknod, trusted.* xattrs).
 */
export async function writeUpperDir(dir: string, items: readonly LayerItem[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const dirs: string[] = [];
  for (const item of items) {
    const path = join(dir, item.path);
    await mkdir(dirname(path), { recursive: true });
    switch (item.kind) {
      case 'dir':
        await clear(path);
        await mkdir(path, { recursive: true });
        await chmod(path, item.mode);
        dirs.push(path);
        break;
      case 'file':
        await rm(path, { recursive: true, force: true });
        await pipeline(Readable.from(contentChunks(item.seed, item.size)), createWriteStream(path, { mode: item.mode }));
        await chmod(path, item.mode);
        await utimes(path, ITEM_MTIME, ITEM_MTIME);
        break;
      case 'symlink':
        await rm(path, { recursive: true, force: true });
        await symlink(item.target, path);
        break;
      case 'hardlink':
        await rm(path, { recursive: true, force: true });
        await link(join(dir, item.target), path);
        break;
      case 'whiteout':
        await rm(path, { recursive: true, force: true });
        sys.mknod(path, S_IFCHR, 0, 0);
        break;
      case 'opaque':
        await mkdir(path, { recursive: true });
        sys.lsetxattr(path, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
        break;
    }
  }
  for (const path of dirs.reverse()) await utimes(path, ITEM_MTIME, ITEM_MTIME);
}
