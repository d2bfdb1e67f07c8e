import * as z from 'zod/mini';
import '../zod.js';
import { checkedString, documentError, parseJsonDocument } from './json-document.js';
import type { DocumentSource } from './json-document.js';
import { descriptorSchema } from './manifest.js';
import { parseReference } from './reference.js';

/**
 * The small JSON files of image archives, validated: `manifest.json` of a
 * `docker save` tar and `oci-layout` of an OCI image layout (its `index.json`
 * is an image index: manifest.ts's parseImageIndex).
 *
 * Paths inside an archive are untrusted: every path in manifest.json must be
 * relative, with no `..`, `.` or empty component and no backslash, so that it
 * names a member of the archive and nothing else. Failures are one StrataError
 * line starting with `source.what` (see json-document.ts for the code).
 */

const PATH_RULE = 'a relative path inside the archive (no leading /, no . or .. component)';

/** Whether `path` is a safe member name of an archive (see the module comment). */
export function isSafeArchivePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

const archivePath = z.string().check(z.refine(isSafeArchivePath, { message: `not ${PATH_RULE}` }));

const repoTag = checkedString(parseReference, 'not a valid image reference');

export const dockerArchiveEntrySchema = z.looseObject({
  Config: archivePath,
  RepoTags: z.optional(z.nullable(z.array(repoTag))),
  Layers: z.array(archivePath),
  Parent: z.optional(z.string()),
  LayerSources: z.optional(z.record(z.string(), descriptorSchema)),
});

export const dockerArchiveManifestSchema = z.array(dockerArchiveEntrySchema);

/** One image of a `docker save` archive. `RepoTags` is null or absent for an image saved by id. */
export type DockerArchiveEntry = z.output<typeof dockerArchiveEntrySchema>;

/** Parses `manifest.json` of a docker-archive (at most 4 MiB). */
export function parseDockerArchiveManifest(bytes: Uint8Array | string, source: DocumentSource): DockerArchiveEntry[] {
  return parseJsonDocument(bytes, dockerArchiveManifestSchema, source);
}

export const OCI_LAYOUT_VERSION = '1.0.0';

const ociLayoutSchema = z.looseObject({ imageLayoutVersion: z.string() });

/**
 * Parses an `oci-layout` file and checks its version is 1.0.0; fails naming the
 * version otherwise.
 */
export function parseOciLayout(bytes: Uint8Array | string, source: DocumentSource): { imageLayoutVersion: string } {
  const layout = parseJsonDocument(bytes, ociLayoutSchema, source);
  if (layout.imageLayoutVersion !== OCI_LAYOUT_VERSION) {
    throw documentError(source, `imageLayoutVersion ${layout.imageLayoutVersion} is not ${OCI_LAYOUT_VERSION}`);
  }
  return layout;
}
