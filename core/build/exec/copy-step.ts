/**
 * An ADD/COPY step written into the step's mounted writable layer: each source goes
 * where fileDestination says (a directory's contents into the destination), with
 * `--chown` resolved against the image's own passwd/group and `--chmod` as octal bits.
 * ADD extracts a local tar (plain, gzip, bzip2, xz) into the destination with the
 * archive rules (its entries' modes and owners, --chown ignored); the archive is read
 * through core/archive's safe extractor first, so no entry can reach outside.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { deletingWhiteouts, extractLayer } from '../../archive/index.js';
import { ErrorCode, StrataError } from '../../errors.js';
import { isAddArchive, openDecompressed } from '../context/add-archive.js';
import { fileDestination } from '../copy-rules.js';
import type { CopyRequest } from '../dispatch.js';
import { resolveChown } from '../user-spec.js';
import { isDirectoryIn, type Owner } from './root-write.js';
import { readInRoot } from './run-step.js';
import type { CopySources } from './stage-sources.js';
import { copyDirectoryContents, copyLeaf } from './tree-copy.js';

/** Returns true when a file or link was written (the step's diff is then surely not empty). */
export async function copyStep(rootfs: string, request: CopyRequest, sources: CopySources): Promise<boolean> {
  let wrote = false;
  const inst = request.instruction;
  let owner: Owner | undefined;
  if (inst.flags.chown) owner = resolveChown(inst.flags.chown, await readInRoot(rootfs, '/etc/passwd'), await readInRoot(rootfs, '/etc/group'));
  let chmod: number | undefined;
  if (inst.flags.chmod) {
    if (!/^[0-7]{1,4}$/.test(inst.flags.chmod)) throw new StrataError(ErrorCode.EBUILD, `invalid chmod parameter: ${inst.flags.chmod}`);
    chmod = parseInt(inst.flags.chmod, 8);
  }
  for (const item of sources.items) {
    const options = { origin: item.origin, ...(owner ? { owner } : {}), ...(chmod !== undefined ? { chmod } : {}), ...(item.filter ? { filter: item.filter } : {}), ...(item.filterRel !== undefined ? { filterRel: item.filterRel } : {}) };
    if (item.stat.isDirectory()) {
      wrote ||= (await readdir(item.host)).length > 0 && item.filter === undefined;
      await copyDirectoryContents(item.host, rootfs, request.dest.replace(/(.)\/$/, '$1'), options);
      continue;
    }
    if (inst.keyword === 'ADD' && item.origin === 'context' && item.dest === undefined && item.stat.isFile()) {
      const { archive, compression } = await isAddArchive(item.host);
      if (archive) {
        const scratch = await mkdtemp(join(tmpdir(), 'strata-add-'));
        try {
          await extractLayer(scratch, openDecompressed(item.host, compression), { whiteouts: deletingWhiteouts });
          await copyDirectoryContents(scratch, rootfs, request.dest.replace(/(.)\/$/, '$1'), { origin: 'archive' });
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
        continue;
      }
    }
    const target = item.dest ?? fileDestination(request.dest, item.name, await isDirectoryIn(rootfs, request.dest));
    wrote ||= item.stat.isFile() || item.stat.isSymbolicLink();
    // ADD <url>: the file's fixed mode (0600) unless --chmod says otherwise.
    await copyLeaf(item.host, item.stat, rootfs, posix.normalize(target), { ...options, ...(item.mode !== undefined && chmod === undefined ? { chmod: item.mode } : {}) });
  }
  return wrote;
}
