import { lstat, readdir } from 'node:fs/promises';
import type { LayerUsage } from './driver.js';

const SLASH = Buffer.from('/');

/**
 * What the tree at `dir` holds on disk, as `du` counts it: allocated blocks ×
 * 512 bytes and inodes, each hard-linked inode once (whiteouts are inodes too).
 * Symlinks are not followed. Paths are walked as bytes, so names that are not
 * UTF-8 (made through a mount) are counted like any other.
 */
export async function diskUsage(dir: string): Promise<LayerUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  const pending = [Buffer.from(dir)];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    const st = await lstat(path);
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const name of await readdir(path, { encoding: 'buffer' })) pending.push(Buffer.concat([path, SLASH, name]));
  }
  return { bytes, inodes: seen.size };
}
