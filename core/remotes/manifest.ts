import { ErrorCode, StrataError } from '../errors.js';
import { isDigest } from '../ids.js';
import { isIndexType, isManifestType, type Descriptor, type ImageIndex, type ImageManifest } from './media-types.js';

/**
 * Validation of manifests received from a registry (untrusted input): the
 * fields the client uses are checked, the rest is left as is. Fails with
 * EREGISTRY naming the subject.
 */
export function parseManifest(bytes: Buffer, mediaType: string, subject: string): ImageManifest | ImageIndex {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad(subject, 'is not JSON');
  }
  if (!isObject(value) || value.schemaVersion !== 2) throw bad(subject, 'is not schema version 2');
  if (typeof value.mediaType === 'string' && value.mediaType !== mediaType) throw bad(subject, `says ${value.mediaType} but was served as ${mediaType}`);
  if (isIndexType(mediaType)) {
    if (!Array.isArray(value.manifests)) throw bad(subject, 'has no "manifests"');
    return { ...(value as object), schemaVersion: 2, manifests: value.manifests.map((d) => descriptor(d, subject)) } as ImageIndex;
  }
  if (isManifestType(mediaType)) {
    if (!Array.isArray(value.layers)) throw bad(subject, 'has no "layers"');
    return { ...(value as object), schemaVersion: 2, config: descriptor(value.config, subject), layers: value.layers.map((d) => descriptor(d, subject)) } as ImageManifest;
  }
  throw bad(subject, `has media type ${mediaType}, which strata does not pull`);
}

export function isIndex(m: ImageManifest | ImageIndex): m is ImageIndex {
  return 'manifests' in m;
}

/** Checks a descriptor's digest (`sha256:<64 hex>`), size and media type. */
export function descriptor(value: unknown, subject: string): Descriptor {
  if (!isObject(value)) throw bad(subject, 'has a descriptor that is not an object');
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || !isDigest(digest) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw bad(subject, `has an invalid descriptor (${JSON.stringify({ mediaType, digest, size }).slice(0, 200)})`);
  }
  return value as unknown as Descriptor;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function bad(subject: string, what: string): StrataError {
  return new StrataError(ErrorCode.EREGISTRY, `${subject}: the manifest ${what}`);
}
