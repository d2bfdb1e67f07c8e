import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayerUsage } from './driver.js';

/**
 * What the tree at `dir` holds on disk, as `du` counts it: allocated blocks ×
 * 512 bytes and inodes, each hard-linked inode once (whiteouts are inodes too).
 * Symlinks are not followed.
 */
export async function diskUsage(dir: string): Promise<LayerUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  const pending = [dir];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const st = await lstat(path);
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const name of await readdir(path)) pending.push(join(path, name));
  }
  return { bytes, inodes: seen.size };
}
