import type { Readable } from 'node:stream';
import type { EntryStat, TreeReader } from '../tree.js';

/**
 * Whether the node at `path` is unchanged between two trees, by the 'modify'
 * rule of `DiffEntry`: both stats have the same type already; compares
 * metadata, xattrs, and — for files whose metadata is equal — content.
 * Fails with what the trees' `xattrs` and `read` fail with.
 */
export async function sameNode(
  path: string,
  lower: TreeReader,
  lowerStat: EntryStat,
  upper: TreeReader,
  upperStat: EntryStat,
): Promise<boolean> {
  if (!sameMetadata(lowerStat, upperStat)) return false;
  const [lowerXattrs, upperXattrs] = await Promise.all([lower.xattrs(path), upper.xattrs(path)]);
  if (!sameXattrs(lowerXattrs, upperXattrs)) return false;
  if (upperStat.type !== 'file' || upperStat.size === 0) return true;
  const opened = await Promise.allSettled([lower.read(path), upper.read(path)]);
  const [a, b] = opened;
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return sameContent(a.value, b.value);
  for (const r of opened) if (r.status === 'fulfilled') r.value.destroy();
  throw (a.status === 'rejected' ? a : (b as PromiseRejectedResult)).reason;
}

/** Whole seconds, rounded down: the precision a tar header keeps. */
export function tarSeconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000);
}

/** The metadata part of the modify rule (content and xattrs aside). */
export function sameMetadata(a: EntryStat, b: EntryStat): boolean {
  return (
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.size === b.size &&
    tarSeconds(a.mtimeMs) === tarSeconds(b.mtimeMs) &&
    a.linkTarget === b.linkTarget &&
    a.rdev?.major === b.rdev?.major &&
    a.rdev?.minor === b.rdev?.minor
  );
}

/** Same names and byte-equal values. */
export function sameXattrs(a: Record<string, Buffer>, b: Record<string, Buffer>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => b[k] !== undefined && a[k]!.equals(b[k]!));
}

/**
 * Byte equality of two streams in bounded memory (at most one chunk of each
 * is held). Both streams are consumed or destroyed when this settles.
 */
export async function sameContent(a: Readable, b: Readable): Promise<boolean> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let bufA: Buffer = Buffer.alloc(0);
  let bufB: Buffer = Buffer.alloc(0);
  let doneA = false;
  let doneB = false;
  try {
    for (;;) {
      if (bufA.length === 0 && !doneA) {
        const r = await ia.next();
        if (r.done) doneA = true;
        else bufA = r.value as Buffer;
      }
      if (bufB.length === 0 && !doneB) {
        const r = await ib.next();
        if (r.done) doneB = true;
        else bufB = r.value as Buffer;
      }
      const endedA = bufA.length === 0 && doneA;
      const endedB = bufB.length === 0 && doneB;
      if (endedA && endedB) return true;
      if ((endedA && bufB.length > 0) || (endedB && bufA.length > 0)) return false;
      if (bufA.length === 0 || bufB.length === 0) continue;
      const n = Math.min(bufA.length, bufB.length);
      if (!bufA.subarray(0, n).equals(bufB.subarray(0, n))) return false;
      bufA = bufA.subarray(n);
      bufB = bufB.subarray(n);
    }
  } finally {
    a.destroy();
    b.destroy();
  }
}
