import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';
import { sha256Digest } from '../../ids.js';
import { planTar, writePlanToDirectory, type PlannedItem } from './archive-plan.js';
import type { ArchiveFormat, SaveImage } from './archive-types.js';
import { planDockerArchive } from './docker-writer.js';
import { planOciLayout } from './oci-writer.js';


/**
 * Writes `images` as one archive of `format`:
 * - docker-archive and oci-archive: a tar, to `output` — a Writable such as
 *   stdout (destroyed on failure, so its reader sees a cut tar, never a
 *   complete-looking one) or a file path, written as a temp file beside it
 *   and renamed into place;
 * - oci-dir: a directory at `output` (a path; it may exist only as an empty
 *   directory), written as a temp directory beside it and renamed into place.
 * Nothing half-made is visible at a path: on failure the temp is removed and
 * the error rethrown (ECORRUPT when a config, manifest or layer does not match
 * its digest or size, the config and manifest checked before anything is written;
 * ECONFLICT when an oci-dir target exists and is not empty).
 */
export async function writeImageArchive(images: readonly SaveImage[], format: ArchiveFormat, output: string | Writable): Promise<void> {
  for (const image of images) {
    for (const blob of [image.config, image.manifest]) {
      if (blob !== undefined && sha256Digest(blob.bytes) !== blob.digest) {
        throw new StrataError(ErrorCode.ECORRUPT, `stored ${blob === image.config ? 'config' : 'manifest'} ${blob.digest} does not match its bytes`);
      }
    }
  }
  const plan = format === 'docker-archive' ? planDockerArchive(images) : planOciLayout(images);
  if (format === 'oci-dir') {
    if (typeof output !== 'string') throw new StrataError(ErrorCode.EINVALID, 'an oci-dir archive needs a directory path, not a stream');
    await writeDirectory(plan, output);
  } else if (typeof output === 'string') {
    await writeFile(plan, output);
  } else {
    await pipeline(planTar(plan), output);
  }
}

async function writeFile(plan: readonly PlannedItem[], path: string): Promise<void> {
  const temp = tempBeside(path);
  try {
    await pipeline(planTar(plan), createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function writeDirectory(plan: readonly PlannedItem[], path: string): Promise<void> {
  const existing = await readdir(path).catch((err: unknown) => {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined && existing.length > 0) {
    throw new StrataError(ErrorCode.ECONFLICT, `${path} exists and is not empty`);
  }
  const temp = tempBeside(path);
  try {
    await mkdir(temp);
    await writePlanToDirectory(plan, temp);
    if (existing !== undefined) await rmdir(path);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}
