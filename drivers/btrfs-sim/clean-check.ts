import { lstat, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileNode } from './node.js';
import type { SimTree } from './sim-tree.js';

/**
 * Which files of a materialised mount are certainly unchanged, so the fold-back
 * can reuse their stored content instead of re-reading it — the "racily clean"
 * rule of git's index, on ctime (which every change of content or metadata
 * bumps, and which no process can set back).
 *
 * `stamp` writes a probe file once the tree is materialised and before it is
 * visible, and keeps the probe's ctime: every later change of a file gives it a
 * ctime at or after the stamp. A file whose ctime is strictly older, and whose
 * size equals what the stored tree had at that path, still holds that content.
 * Files changed in the stamp's own clock tick are re-read (conservative).
 */
export async function stamp(probeDir: string, stampFile: string): Promise<void> {
  const probe = join(probeDir, '.stamp');
  await writeFile(probe, '');
  const { ctimeNs } = await lstat(probe, { bigint: true });
  await rm(probe);
  await writeFile(stampFile, ctimeNs.toString());
}

/** The stamp saved by `stamp`, or undefined (no quick path: every file is re-read). */
export async function readStamp(stampFile: string): Promise<bigint | undefined> {
  try {
    return BigInt((await readFile(stampFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
}

/** The stored file node whose content the file at `path` (under `hostRoot`) still holds; undefined when it must be re-read. */
export async function unchangedContent(hostRoot: string, path: string, size: number, stampNs: bigint, original: SimTree): Promise<FileNode | undefined> {
  const { ctimeNs } = await lstat(join(hostRoot, path), { bigint: true });
  if (ctimeNs >= stampNs) return undefined;
  const node = original.lookup(path)?.node;
  return node?.type === 'file' && node.size === size ? node : undefined;
}
