import { ErrorCode, StrataError } from '../errors.js';
import { formatReference, parseReference, parseTagTarget } from './reference.js';
import type { ImageReference } from './reference.js';

/**
 * Where an image is read from or written to, named as skopeo and podman name
 * transports (containers-transports(5)):
 *
 *     [docker://]REF                  a registry; REF as `parseReference` (no default tag added)
 *     oci:DIR[:REF]                   an OCI image layout directory; REF picks the
 *                                     `org.opencontainers.image.ref.name` of a manifest
 *     oci-archive:FILE[:REF]          the same layout in a tar file
 *     docker-archive:FILE[:NAME|:@N]  a `docker save` tar; NAME names (or picks) the image,
 *                                     `@N` picks the N-th manifest entry (reading only)
 *
 * The path ends at the first ':' after the prefix (a path holding ':' cannot be
 * named this way, as in skopeo). A string that starts with none of the local
 * prefixes is a registry reference, so `oci:5000/x` is a layout, never the host
 * `oci` on port 5000. All failures are StrataError EINVALID naming the part.
 */
export type ImageLocation =
  | { readonly transport: 'docker'; readonly reference: ImageReference }
  | { readonly transport: 'oci'; readonly path: string; readonly refName?: string }
  | { readonly transport: 'oci-archive'; readonly path: string; readonly refName?: string }
  | { readonly transport: 'docker-archive'; readonly path: string; readonly name?: ImageReference; readonly index?: number };

export type TransportName = ImageLocation['transport'];

/**
 * The OCI `org.opencontainers.image.ref.name` grammar (image-spec
 * annotations.md): components of [A-Za-z0-9] joined by one of `-._:@/+`, or `--`.
 */
const OCI_REF_NAME_RE = /^[A-Za-z0-9]+(?:(?:[-._:@/+]|--)[A-Za-z0-9]+)*$/;

/** Whether `text` is a valid `org.opencontainers.image.ref.name` value. */
export function isValidOciRefName(text: string): boolean {
  return OCI_REF_NAME_RE.test(text);
}

function invalid(message: string): StrataError {
  return new StrataError(ErrorCode.EINVALID, message);
}

function splitPath(rest: string, transport: string): [path: string, tail: string | undefined] {
  const colon = rest.indexOf(':');
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const tail = colon < 0 ? undefined : rest.slice(colon + 1);
  if (path === '') throw invalid(`invalid image location "${transport}:${rest}": the path is empty`);
  return [path, tail];
}

function ociLocation(transport: 'oci' | 'oci-archive', rest: string): ImageLocation {
  const [path, refName] = splitPath(rest, transport);
  if (refName === undefined || refName === '') return { transport, path };
  if (!isValidOciRefName(refName)) {
    throw invalid(`invalid image location "${transport}:${rest}": "${refName}" is not a valid image reference name`);
  }
  return { transport, path, refName };
}

function dockerArchiveLocation(rest: string): ImageLocation {
  const [path, tail] = splitPath(rest, 'docker-archive');
  if (tail === undefined || tail === '') return { transport: 'docker-archive', path };
  if (tail.startsWith('@')) {
    const digits = tail.slice(1);
    if (!/^(0|[1-9][0-9]{0,8})$/.test(digits)) {
      throw invalid(`invalid image location "docker-archive:${rest}": "${tail}" is not a manifest index (@0, @1, ...)`);
    }
    return { transport: 'docker-archive', path, index: Number(digits) };
  }
  return { transport: 'docker-archive', path, name: parseTagTarget(tail) };
}

/** Parses an image location. Fails with EINVALID. */
export function parseImageLocation(text: string): ImageLocation {
  if (text.startsWith('docker://')) return { transport: 'docker', reference: parseReference(text.slice('docker://'.length)) };
  if (text.startsWith('oci:')) return ociLocation('oci', text.slice('oci:'.length));
  if (text.startsWith('oci-archive:')) return ociLocation('oci-archive', text.slice('oci-archive:'.length));
  if (text.startsWith('docker-archive:')) return dockerArchiveLocation(text.slice('docker-archive:'.length));
  if (text.startsWith('docker:')) throw invalid(`invalid image location "${text}": the docker transport is written docker://REF`);
  return { transport: 'docker', reference: parseReference(text) };
}

/** The location as `parseImageLocation` reads it back (registry references fully qualified, with `docker://`). */
export function formatImageLocation(location: ImageLocation): string {
  switch (location.transport) {
    case 'docker':
      return `docker://${formatReference(location.reference)}`;
    case 'oci':
    case 'oci-archive':
      return `${location.transport}:${location.path}${location.refName === undefined ? '' : `:${location.refName}`}`;
    case 'docker-archive': {
      const tail = location.name !== undefined ? `:${formatReference(location.name)}` : location.index !== undefined ? `:@${location.index}` : '';
      return `docker-archive:${location.path}${tail}`;
    }
  }
}
