import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, StrataError } from './errors.js';

/**
 * Content-addressed identity (OCI image spec):
 * diffID = sha256 of the uncompressed layer tar;
 * chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
 * Digests are written "sha256:<64 hex>"; ids (layer ids, image ids) are the bare hex.
 */
export type Digest = `sha256:${string}`;

const HEX64 = /^[0-9a-f]{64}$/;

export function isDigest(value: string): value is Digest {
  return value.startsWith('sha256:') && HEX64.test(value.slice(7));
}

/** The bare 64-hex id of a digest. */
export function idOf(digest: Digest): string {
  return digest.slice(7);
}

export function digestOf(id: string): Digest {
  return `sha256:${id}`;
}

export function sha256Digest(data: string | Buffer): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** chainID of a layer whose parent has chain id `parentChain` (null for a base layer). */
export function chainIdOf(parentChain: Digest | null, diffId: Digest): Digest {
  return parentChain === null ? diffId : sha256Digest(`${parentChain} ${diffId}`);
}

/** A random 64-hex id for layers that are not content-addressed (writable layers). */
export function randomId(): string {
  return randomBytes(32).toString('hex');
}

/** At least this many hex digits name something on the command line. */
export const MIN_PREFIX = 12;

/**
 * Resolves a full id or unique prefix (optionally "sha256:"-prefixed) among `ids`.
 * Fails with ENOLAYER (no match, or a prefix under 12 digits that is not a full
 * name) and EAMBIGUOUS (several matches).
 */
export function resolvePrefix(input: string, ids: Iterable<string>, what = 'layer'): string {
  const wanted = input.startsWith('sha256:') ? input.slice(7) : input;
  const all = [...ids];
  if (all.includes(wanted)) return wanted;
  if (!/^[0-9a-f]+$/.test(wanted) || wanted.length < MIN_PREFIX) {
    throw new StrataError(ErrorCode.ENOLAYER, `no ${what} ${JSON.stringify(input)} (give a full id or a prefix of ${MIN_PREFIX}+ hex digits)`);
  }
  const matches = all.filter((id) => id.startsWith(wanted));
  if (matches.length === 0) throw new StrataError(ErrorCode.ENOLAYER, `no ${what} ${JSON.stringify(input)}`);
  if (matches.length > 1) {
    throw new StrataError(ErrorCode.EAMBIGUOUS, `${what} prefix ${JSON.stringify(input)} matches ${matches.length} ${what}s; give more digits`);
  }
  return matches[0]!;
}
