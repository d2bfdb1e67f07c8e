import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import tarStream from 'tar-stream';
import type { Header, Pack } from 'tar-stream';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../archive/entry.js';
import { compareNames, layerPathParent } from '../tree.js';
import type { EntrySummary, Snapshot } from './snapshot.js';

/** A layer tarball built independently of the code under test, and what applying it must report. */
export interface StepTar {
  readonly stream: Readable;
  /** Sum of the sizes of the regular files it carries (hardlinks not counted). */
  readonly fileBytes: number;
}

/**
 * The OCI layer tarball that turns tree `before` into tree `after` (both
 * snapshots of the oracle directory `dir`, which holds `after`): new and
 * changed entries, `.wh.` whiteouts for removed ones, and an opaque marker in
 * every directory of `replaced` (removed, then created again) so lower children
 * are hidden by the marker rather than one by one. Files are read from `dir`.
 * Hardlinks go out as links to their group's first path, which is emitted too.
 */
export function stepTar(dir: string, before: Snapshot, after: Snapshot, replaced: readonly string[]): StepTar {
  const opaque = replaced.filter((p) => after[p]?.type === 'directory' && before[p]?.type === 'directory');
  const underOpaque = (p: string): boolean => opaque.some((q) => p.startsWith(q === '/' ? '/' : `${q}/`) && p !== q);
  const changed = (p: string): boolean => JSON.stringify(before[p]) !== JSON.stringify(after[p]);

  const emit = new Set(Object.keys(after).filter((p) => p !== '/' && (changed(p) || underOpaque(p) || opaque.includes(p))));
  for (const p of [...emit]) {
    const head = after[p]!.hardlinkOf;
    if (head !== undefined) emit.add(head);
  }
  const whiteouts = Object.keys(before).filter((p) => {
    if (after[p] !== undefined || p === '/') return false;
    const parent = layerPathParent(p);
    return after[parent]?.type === 'directory' && before[parent]?.type === 'directory' && !underOpaque(p) && !opaque.includes(parent);
  });

  const paths = [...emit].sort(compareNames);
  let fileBytes = 0;
  for (const p of paths) if (after[p]!.type === 'file' && (after[p]!.hardlinkOf ?? p) === p) fileBytes += after[p]!.size;

  const pack = tarStream.pack();
  void (async () => {
    const time = new Date(0);
    for (const p of whiteouts.sort(compareNames)) {
      const parent = layerPathParent(p);
      const name = `${parent === '/' ? '' : `${rel(parent)}/`}${WHITEOUT_PREFIX}${p.slice(parent.length + (parent === '/' ? 0 : 1))}`;
      await addEntry(pack, { name, size: 0, mtime: time, type: 'file', mode: 0o644 });
    }
    for (const p of paths) {
      const e = after[p]!;
      await addEntry(pack, headerOf(p, e), e.type === 'file' && (e.hardlinkOf ?? p) === p ? join(dir, p) : undefined);
      if (opaque.includes(p)) await addEntry(pack, { name: `${rel(p)}/${OPAQUE_MARKER}`, size: 0, mtime: time, type: 'file', mode: 0o644 });
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return { stream: Readable.from(pack), fileBytes };
}

type TarHeader = Partial<Header> & Pick<Header, 'name'>;

const MAX_USTAR_ID = 0o777777;
const S_IFREG = 0o100000;

function rel(path: string): string {
  return path.slice(1);
}

function headerOf(path: string, e: EntrySummary): TarHeader {
  const pax: Record<string, string> = {};
  for (const [name, hex] of Object.entries(e.xattrs)) pax[`SCHILY.xattr.${name}`] = Buffer.from(hex, 'hex').toString('latin1');
  // ustar's 6 octal digits stop at 0o777777; larger ids go in PAX records, as GNU tar writes them.
  if (e.uid > MAX_USTAR_ID) pax.uid = String(e.uid);
  if (e.gid > MAX_USTAR_ID) pax.gid = String(e.gid);
  // tar-stream replaces a mode of 0 by its default; the type bit is masked off when encoded.
  const common = { name: rel(path), mode: e.mode | S_IFREG, uid: e.uid, gid: e.gid, mtime: new Date((e.mtime ?? 0) * 1000), ...(Object.keys(pax).length ? { pax } : {}) };
  if (e.hardlinkOf !== undefined && e.hardlinkOf !== path) return { ...common, type: 'link', linkname: rel(e.hardlinkOf), size: 0 };
  switch (e.type) {
    case 'file':
      return { ...common, type: 'file', size: e.size };
    case 'directory':
      return { ...common, type: 'directory', size: 0 };
    case 'symlink':
      return { ...common, type: 'symlink', linkname: e.linkTarget!, size: 0 };
    case 'fifo':
      return { ...common, type: 'fifo', size: 0 };
    case 'char':
    case 'block': {
      const [major, minor] = e.rdev!.split(':').map(Number);
      return { ...common, type: e.type === 'char' ? 'character-device' : 'block-device', devmajor: major!, devminor: minor!, size: 0 };
    }
    default:
      throw new Error(`a tar cannot carry ${e.type} ${path}`);
  }
}

/** Adds one entry; its content streams from contentPath (files) or is empty. */
async function addEntry(pack: Pack, header: TarHeader, contentPath?: string): Promise<void> {
  let sink!: ReturnType<Pack['entry']>;
  const written = new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    sink = contentPath === undefined ? pack.entry(header, Buffer.alloc(0), done) : pack.entry(header, done);
  });
  if (contentPath !== undefined) {
    for await (const chunk of createReadStream(contentPath)) if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
    sink.end(undefined);
  }
  await written;
}
