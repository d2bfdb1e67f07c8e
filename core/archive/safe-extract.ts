import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import type { TreeReader } from '../tree.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, type LayerTarHeader } from './entry.js';
import { entryNameParts } from './entry-name.js';
import { createNode, setDirectoryMetadata } from './entry-writer.js';
import { linkEntry } from './hardlink.js';
import { LayerExtraction } from './layer-extraction.js';
import { hostPathOf, lstatOrUndefined, unsafe } from './safe-path.js';
import { readLayerTar } from './tar-reader.js';
import type { WhiteoutHandler } from './whiteout-handler.js';

export interface ExtractOptions {
  /** How this driver records `.wh.` deletions and opaque markers. */
  readonly whiteouts: WhiteoutHandler;
  /**
   * The parent's union, if the layer directory does not already hold it: gives
   * parent directories the tar omits their mode, owner, mtime and xattrs, and
   * is where a hardlink's target is copied up from when only a lower layer has it.
   */
  readonly lower?: TreeReader;
  /** Create character and block devices. Default: whether the process runs as root. */
  readonly allowDevices?: boolean;
}

export interface ExtractResult {
  /** Bytes of regular-file content written from the tar (copy-ups not counted). */
  readonly size: number;
  /** Tar entries processed, whiteouts included. */
  readonly entries: number;
}

/** Whiteout-like names that are aufs bookkeeping (`.wh..wh.plnk`, ...): skipped, as Docker does. */
const AUFS_META_PREFIX = `${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`;

/**
 * Writes an uncompressed OCI layer tarball into `dir`, an existing directory
 * that is the layer's own, and that nothing else changes meanwhile. Later
 * duplicate entries win; `.wh.` entries and `.wh..wh..opq` markers go to
 * `options.whiteouts`. Every path is resolved component by component with lstat:
 * nothing is ever written, linked, chmod-ed or removed through a symlink or
 * outside `dir`. The layer's filesystem is synced (syncfs) before the promise resolves.
 *
 * Fails with EUNSAFEARCHIVE naming the entry for: a ".." component or NUL in a
 * name; a parent that is a symlink (or, except under a whiteout, not a
 * directory) — unless an earlier entry of this layer replaced it; a change of
 * the layer root's type; a hardlink to a directory, to a path reached through
 * a symlink; whiteouts of ".", ".." or ""; a ".wh." name used as a directory;
 * reserved `trusted.overlay.*` and `user.overlay.*` xattrs; devices without
 * `allowDevices`; paths deeper than MAX_DEPTH or PATH_MAX.
 * Fails with EBADARCHIVE for a malformed or truncated tar, a name or link
 * target that is not valid UTF-8 (see readLayerTar) or a hardlink whose target
 * exists nowhere, and with EIO for other OS failures.
 * On failure `dir` is left half-written: the CALLER removes it.
 */
export async function extractLayer(dir: string, input: Readable, options: ExtractOptions): Promise<ExtractResult> {
  const root = resolve(dir);
  if ((await lstatOrUndefined(root))?.isDirectory() !== true) {
    throw new StrataError(ErrorCode.EIO, `layer directory ${root} is not a directory`);
  }
  const isRoot = process.getuid?.() === 0;
  const job = new LayerExtraction({
    dir: root,
    whiteouts: options.whiteouts,
    lower: options.lower,
    allowDevices: options.allowDevices ?? isRoot,
    chown: isRoot,
  });
  let size = 0;
  let entries = 0;
  for await (const { header, body } of readLayerTar(input)) {
    entries++;
    size += await asStrataError(header.name, () => applyEntry(job, header, body));
  }
  await asStrataError('(final sync)', () => job.finish());
  return { size, entries };
}

/** Applies one entry; returns the file bytes it wrote. */
async function applyEntry(job: LayerExtraction, header: LayerTarHeader, body: Readable): Promise<number> {
  const what = header.name;
  const parts = entryNameParts(header.name);
  if (parts.slice(0, -1).some((part) => part.startsWith(WHITEOUT_PREFIX))) {
    throw unsafe(what, 'a whiteout name is used as a directory');
  }
  const base = parts.at(-1) ?? '.';
  if (base.startsWith(WHITEOUT_PREFIX)) {
    await applyWhiteout(job, parts, base, header);
    return 0;
  }
  if (header.type === 'hardlink') {
    await linkEntry(job, parts, header);
    return 0;
  }
  if (parts.length === 0) {
    if (header.type !== 'directory') throw unsafe(what, `cannot turn the layer root into a ${header.type}`);
    await setDirectoryMetadata(job.dir, header, job, what);
    return 0;
  }
  const host = hostPathOf(job.dir, parts, what);
  await job.parents(parts, what, header.mtime, false);
  const layerPath = `/${header.name}`;
  const existing = job.surelyAbsent(layerPath) ? undefined : await lstatOrUndefined(host);
  if (header.type === 'directory' && existing?.isDirectory() === true) {
    await setDirectoryMetadata(host, header, job, what);
    job.written.add(layerPath);
    job.verified(layerPath);
    return 0;
  }
  if (existing !== undefined) await job.remove(host, layerPath);
  const bytes = await createNode(host, header, body, job, what);
  await job.created(host, layerPath, header.type === 'directory');
  return bytes;
}

async function applyWhiteout(job: LayerExtraction, parts: string[], base: string, header: LayerTarHeader): Promise<void> {
  const what = header.name;
  if (base === OPAQUE_MARKER) {
    if (!(await job.parents(parts, what, header.mtime, true))) return;
    await job.opaque(parts.length === 1 ? '/' : `/${parts.slice(0, -1).join('/')}`);
    return;
  }
  if (base.startsWith(AUFS_META_PREFIX)) return;
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') {
    throw unsafe(what, `whiteout of ${JSON.stringify(name)} is not allowed`);
  }
  const target = [...parts.slice(0, -1), name];
  const host = hostPathOf(job.dir, target, what);
  if (!(await job.parents(target, what, header.mtime, true))) return;
  await job.whiteout(host, `/${target.join('/')}`);
}

/** Runs `step`, turning an OS failure into EIO naming the entry. */
async function asStrataError<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isStrataError(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new StrataError(ErrorCode.EIO, `entry ${JSON.stringify(what)}: ${message}`, { cause: err });
  }
}
