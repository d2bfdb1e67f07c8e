import { ErrorCode, StrataError } from '../../errors.js';
import { sha256Digest } from '../../ids.js';
import { parseJsonObject, readSmallFile, type ArchiveSource } from './archive-source.js';
import type { Digest, StoredBlob } from './archive-types.js';
import { isDigestValue } from './verify-stream.js';

/** Configs, manifests and index files over this many bytes are refused (EBADARCHIVE). */
export const JSON_BLOB_LIMIT = 8 * 1024 * 1024;

/** A config read from an archive: its exact bytes and the diffIDs it lists. */
export interface ConfigBlob extends StoredBlob {
  readonly diffIds: readonly Digest[];
}

/**
 * Reads the image config at `name`, eagerly: at most JSON_BLOB_LIMIT bytes,
 * hashing to `expected` when given (else ECORRUPT naming the file), a JSON
 * object whose rootfs.diff_ids are sha256 digests (else EBADARCHIVE). Only the
 * fields this folder needs are looked at (the full model is image-config.ts's).
 */
export async function readConfigBlob(source: ArchiveSource, name: string, expected?: { digest: Digest; size?: number }): Promise<ConfigBlob> {
  const what = `config ${name}`;
  const bytes = await readSmallFile(source, name, JSON_BLOB_LIMIT, what);
  const digest = sha256Digest(bytes);
  if (expected !== undefined && (digest !== expected.digest || (expected.size !== undefined && bytes.length !== expected.size))) {
    throw new StrataError(ErrorCode.ECORRUPT, `${source.label}: ${what} is ${digest} (${bytes.length} bytes), not ${expected.digest}`);
  }
  const config = parseJsonObject(bytes, source.label, what);
  const rootfs = config['rootfs'] as { diff_ids?: unknown } | undefined;
  const diffIds = rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every(isDigestValue)) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: ${what} has no valid rootfs.diff_ids`);
  }
  return { digest, bytes, diffIds };
}
