import { link } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../errors.js';
import type { LayerTarHeader } from './entry.js';
import { entryNameParts } from './entry-name.js';
import { createNode } from './entry-writer.js';
import type { LayerExtraction } from './layer-extraction.js';
import { hostPathOf, lstatOrUndefined, unsafe } from './safe-path.js';

/**
 * Applies a hardlink entry: links `parts` to `header.linkName`, a path of this
 * layer, or of a lower layer, whose node is then copied up into this layer
 * first (layers re-emit hardlinks whose target they did not change).
 * Fails with EUNSAFEARCHIVE for a link to a directory or the root, a target
 * reached through a symlink, or a link replacing the layer root; with
 * EBADARCHIVE where the target exists nowhere.
 */
export async function linkEntry(job: LayerExtraction, parts: readonly string[], header: LayerTarHeader): Promise<void> {
  const what = header.name;
  if (parts.length === 0) throw unsafe(what, 'cannot turn the layer root into a hardlink');
  const targetParts = entryNameParts(header.linkName ?? '.');
  if (targetParts.length === 0) throw unsafe(what, 'hardlink to the layer root');
  const host = hostPathOf(job.dir, parts, what);
  const target = await findOrCopyUp(job, targetParts, header);
  await job.parents(parts, what, header.mtime, false);
  if (host === target) return;
  const layerPath = `/${parts.join('/')}`;
  if ((await lstatOrUndefined(host)) !== undefined) await job.remove(host, layerPath);
  await link(target, host);
  await job.created(host, layerPath, false);
}

/** The host path of the link target in this layer, copied up from the lower union if only it has one. */
async function findOrCopyUp(job: LayerExtraction, parts: readonly string[], header: LayerTarHeader): Promise<string> {
  const what = header.name;
  const layerPath = `/${parts.join('/')}`;
  const host = hostPathOf(job.dir, parts, what);
  const quoted = JSON.stringify(layerPath.slice(1));
  let inLayer = true;
  for (let i = 1; i < parts.length && inLayer; i++) {
    const stats = await lstatOrUndefined(hostPathOf(job.dir, parts.slice(0, i), what));
    if (stats?.isSymbolicLink() === true) throw unsafe(what, `hardlink target ${quoted} is reached through a symlink`);
    inLayer = stats?.isDirectory() === true;
  }
  if (inLayer) {
    const stats = await lstatOrUndefined(host);
    if (stats?.isDirectory() === true) throw unsafe(what, `hardlink to a directory (${quoted})`);
    if (stats !== undefined && !job.hasWhiteoutAt(layerPath)) return host;
    if (stats !== undefined) throw missing(what, quoted);
  }
  const visible = job.lowerVisible(parts);
  if (visible) await job.parents(parts, what, header.mtime, false);
  const from = visible ? await job.lower?.stat(layerPath) : undefined;
  if (from === undefined) throw missing(what, quoted);
  if (from.type === 'directory') throw unsafe(what, `hardlink to a directory (${quoted})`);
  const lower = job.lower!;
  const body = from.type === 'file' ? await lower.read(layerPath) : Readable.from([]);
  const node = {
    type: from.type,
    mode: from.mode,
    uid: from.uid,
    gid: from.gid,
    mtime: new Date(from.mtimeMs),
    linkName: from.linkTarget,
    devmajor: from.rdev?.major,
    devminor: from.rdev?.minor,
    xattrs: await lower.xattrs(layerPath),
  };
  await createNode(host, node, body, job, what);
  await job.created(host, layerPath, false);
  return host;
}

function missing(what: string, quoted: string): StrataError {
  return new StrataError(ErrorCode.EBADARCHIVE, `entry ${JSON.stringify(what)}: hardlink target ${quoted} does not exist`);
}
