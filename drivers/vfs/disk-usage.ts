import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerUsage } from '../../core/index.js';

/**
 * What the tree at `dir` holds on disk, as `du` counts it: allocated blocks ×
 * 512 bytes and inodes, each hardlinked inode once. Symlinks are not followed.
 */
export async function diskUsage(dir: string): Promise<LayerUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path);
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      bytes += st.blocks * 512;
    }
    if (st.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(dir);
  return { bytes, inodes: seen.size };
}
