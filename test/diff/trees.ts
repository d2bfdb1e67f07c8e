import { createHash } from 'node:crypto';
import { lutimes, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';

/** A fixed mtime (seconds) so two trees built at different moments compare equal. */
export const FIXED_SECONDS = 1_700_000_000;

/** A fresh temp directory removed when the test ends. */
export async function tempDir(t: ExecutionContext, label = 'strata-diff-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A tree spec: names ending in '/' are directories, `->target` values symlinks,
 * other strings file content. Parents come first in the spec (insertion order).
 */
export type TreeSpec = Record<string, string>;

/** Writes spec under dir, then pins every mtime (deepest first) to FIXED_SECONDS. */
export async function buildTree(dir: string, spec: TreeSpec): Promise<string> {
  for (const [name, value] of Object.entries(spec)) {
    const path = join(dir, name);
    if (name.endsWith('/')) await mkdir(path, { recursive: true });
    else if (value.startsWith('->')) await symlink(value.slice(2), path);
    else await writeFile(path, value);
  }
  await pinTimes(dir);
  return dir;
}

/** Sets every mtime below and including dir to `seconds` (symlinks themselves, not their targets). */
export async function pinTimes(dir: string, seconds = FIXED_SECONDS): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await pinTimes(path, seconds);
    else await lutimes(path, seconds, seconds);
  }
  await lutimes(dir, seconds, seconds);
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
