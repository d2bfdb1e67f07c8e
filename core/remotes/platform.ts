import { ErrorCode, StrataError } from '../errors.js';
import type { Descriptor, Platform } from './media-types.js';

// One definition of the host platform, `--platform` parsing and formatting: core/images.
import { formatPlatform } from '../images/image-config.js';

export { formatPlatform, hostPlatform, parsePlatform } from '../images/image-config.js';

/** Variants that mean the same thing: arm64 without a variant is v8; arm without is v7 (as containerd's normaliser). */
function normalVariant(p: Platform): string {
  if (p.architecture === 'arm64') return p.variant === undefined || p.variant === '' ? 'v8' : p.variant;
  if (p.architecture === 'arm') return p.variant === undefined || p.variant === '' ? 'v7' : p.variant;
  return p.variant ?? '';
}

/** True when `candidate` runs `wanted`'s images: same os and architecture; variants match after normalising, or `wanted` names none. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  if (wanted.variant === undefined && wanted.architecture !== 'arm64') return true;
  return normalVariant(wanted) === normalVariant(candidate);
}

/** Entries that are attestations (BuildKit's provenance/SBOM), not runnable images. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown');
}

/**
 * The manifest of an index for `wanted`: the first matching entry, attestation
 * entries skipped. Fails with ENOIMAGE naming the platform and those offered.
 */
export function choosePlatform(manifests: readonly Descriptor[], wanted: Platform, subject: string): Descriptor {
  const runnable = manifests.filter((d) => !isAttestation(d) && d.platform !== undefined);
  const found = runnable.find((d) => platformMatches(wanted, d.platform!));
  if (found !== undefined) return found;
  const offered = runnable.map((d) => formatPlatform(d.platform!)).join(', ') || 'none';
  throw new StrataError(ErrorCode.ENOIMAGE, `${subject}: no image for platform ${formatPlatform(wanted)} (the index offers ${offered})`);
}
