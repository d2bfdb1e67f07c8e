import * as z from 'zod/mini';
import '../zod.js';
import { checkedString, documentError, readJsonDocument, validateDocument } from './json-document.js';
import type { DocumentSource } from './json-document.js';
import { MediaType, isIndexMediaType, isManifestMediaType, isSchema1MediaType } from './media-types.js';
import { parseDigest, parseReference } from './reference.js';
import type { ImageReference } from './reference.js';

/**
 * OCI image manifests and indexes (image-spec v1.1) and Docker schema 2
 * manifests and manifest lists, which have the same shape: the types, and
 * validating parsers for untrusted bytes.
 *
 * The parsers are for reading: the bytes themselves are what is stored and
 * digested (a manifest is never re-serialised). Unknown fields are kept in the
 * parsed value (`looseObject`). Every failure is one StrataError line that
 * starts with `source.what`, with `source.code` (ECORRUPT by default; see
 * json-document.ts). A document over 4 MiB is refused before parsing.
 */

/** `algorithm:hex`, validated as reference.ts's parseDigest validates it. */
export const digestSchema = checkedString(parseDigest, 'not a valid digest (sha256:<64 lowercase hex>)');

const annotationsSchema = z.record(z.string(), z.string());

export const platformSchema = z.looseObject({
  architecture: z.string().check(z.minLength(1)),
  os: z.string().check(z.minLength(1)),
  'os.version': z.optional(z.string()),
  'os.features': z.optional(z.array(z.string())),
  variant: z.optional(z.string()),
  features: z.optional(z.array(z.string())),
});

export const descriptorSchema = z.looseObject({
  mediaType: z.string().check(z.minLength(1)),
  digest: digestSchema,
  size: z.int().check(z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
  urls: z.optional(z.array(z.string())),
  annotations: z.optional(annotationsSchema),
  data: z.optional(z.string()),
  platform: z.optional(platformSchema),
  artifactType: z.optional(z.string()),
});

export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: z.optional(descriptorSchema),
  annotations: z.optional(annotationsSchema),
});

export const imageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  manifests: z.array(descriptorSchema),
  subject: z.optional(descriptorSchema),
  annotations: z.optional(annotationsSchema),
});

export type Platform = z.output<typeof platformSchema>;
export type Descriptor = z.output<typeof descriptorSchema>;
export type ImageManifest = z.output<typeof imageManifestSchema>;
export type ImageIndex = z.output<typeof imageIndexSchema>;

/** A manifest or an index, with the media type it was judged to have. */
export type ParsedManifest =
  | { readonly kind: 'manifest'; readonly mediaType: string; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: string; readonly index: ImageIndex };

/** Where the document came from, and the media type its carrier declared (HTTP Content-Type, a descriptor). */
export interface ManifestSource extends DocumentSource {
  readonly mediaType?: string;
}

const anything = z.optional(z.unknown());
const shapeSchema = z.looseObject({ schemaVersion: anything, mediaType: anything, manifests: anything, layers: anything, config: anything });

/**
 * Parses an image manifest or index. Its kind comes from the declared media
 * type, else the document's own `mediaType`, else its shape (`manifests` → an
 * index; `config` and `layers` → a manifest: OCI allows `mediaType` to be
 * absent). Fails when the declared and the embedded media types disagree, for
 * schema 1 and unknown media types, and when the document does not fit.
 */
export function parseManifest(bytes: Uint8Array | string, source: ManifestSource): ParsedManifest {
  const value = readJsonDocument(bytes, source);
  const shape = validateDocument(value, shapeSchema, source);
  const embedded = typeof shape.mediaType === 'string' ? shape.mediaType : undefined;
  if (source.mediaType !== undefined && embedded !== undefined && source.mediaType !== embedded) {
    throw documentError(source, `declared as ${source.mediaType} but its mediaType is ${embedded}`);
  }
  let mediaType = source.mediaType ?? embedded;
  if (shape.schemaVersion === 1 || (mediaType !== undefined && isSchema1MediaType(mediaType))) {
    throw documentError(source, 'Docker schema 1 manifests are not supported');
  }
  if (mediaType === undefined) {
    if (shape.manifests !== undefined) mediaType = MediaType.OCI_INDEX;
    else if (shape.config !== undefined || shape.layers !== undefined) mediaType = MediaType.OCI_MANIFEST;
    else throw documentError(source, 'neither an image manifest nor an image index (no mediaType, config or manifests)');
  }
  if (isManifestMediaType(mediaType)) {
    return { kind: 'manifest', mediaType, manifest: validateDocument(value, imageManifestSchema, source) };
  }
  if (isIndexMediaType(mediaType)) {
    return { kind: 'index', mediaType, index: validateDocument(value, imageIndexSchema, source) };
  }
  throw documentError(source, `unsupported manifest media type ${mediaType}`);
}

/** `parseManifest`, refusing an index. */
export function parseImageManifest(bytes: Uint8Array | string, source: ManifestSource): ImageManifest {
  const parsed = parseManifest(bytes, source);
  if (parsed.kind !== 'manifest') throw documentError(source, `an image index (${parsed.mediaType}), not an image manifest`);
  return parsed.manifest;
}

/** `parseManifest`, refusing a single-image manifest. */
export function parseImageIndex(bytes: Uint8Array | string, source: ManifestSource): ImageIndex {
  const parsed = parseManifest(bytes, source);
  if (parsed.kind !== 'index') throw documentError(source, `an image manifest (${parsed.mediaType}), not an image index`);
  return parsed.index;
}

/** Annotation keys strata reads names from. */
export const Annotation = {
  /** OCI layouts: the tag or full name of a manifest in index.json. */
  REF_NAME: 'org.opencontainers.image.ref.name',
  /** containerd and Docker 25+: the full image name in index.json. */
  CONTAINERD_IMAGE_NAME: 'io.containerd.image.name',
  CREATED: 'org.opencontainers.image.created',
} as const;

/**
 * The image name a manifest descriptor of an index carries, or undefined:
 * `io.containerd.image.name` when it is a valid reference (containerd, Docker
 * 25+), else `org.opencontainers.image.ref.name` when it is a full name (holds
 * '/' or ':', as skopeo and buildah write `docker.io/library/busybox:latest`).
 * A bare ref.name (`latest`, `v1`) is a tag with no repository: it names
 * nothing by itself (the caller may pair it with a name given by the user).
 * Invalid values are ignored, not errors: annotations are free text.
 */
export function nameFromAnnotations(annotations: Readonly<Record<string, string>> | undefined): ImageReference | undefined {
  if (annotations === undefined) return undefined;
  const candidates = [annotations[Annotation.CONTAINERD_IMAGE_NAME], annotations[Annotation.REF_NAME]];
  for (const [i, text] of candidates.entries()) {
    if (text === undefined || (i === 1 && !/[/:]/.test(text))) continue;
    try {
      return parseReference(text);
    } catch {
      // not a reference: try the next one
    }
  }
  return undefined;
}
