import { ErrorCode, StrataError } from '../errors.js';
import { isDigest, sha256Digest } from '../ids.js';
import { repositoryScope } from './challenge.js';
import type { RegistryClient } from './client.js';
import { isIndex, parseManifest } from './manifest.js';
import { MANIFEST_ACCEPT, type ImageIndex, type ImageManifest, type Platform } from './media-types.js';
import { choosePlatform } from './platform.js';
import { formatReference, type ImageReference } from '../images/reference.js';
import { apiHost, manifestReference } from './reference.js';
import { readBody, type HttpResponse } from './transport.js';
import { registryError } from './registry-error.js';

/** Manifests (and indexes) larger than this are refused: 4 MiB, as containerd. */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

/** A manifest or index as the registry served it: bytes exactly, digest verified. */
export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

/** What a pull works from: the platform's manifest, and the index it was chosen from, if any. */
export interface Resolved {
  /** The digest the reference resolved to (the index's, for a multi-platform image): RepoDigests use it. */
  readonly digest: string;
  readonly index?: FetchedManifest;
  readonly manifest: FetchedManifest;
  readonly parsed: ImageManifest;
}

/**
 * Resolves references to manifests. Every request offers the full Accept list
 * (OCI manifest and index, Docker v2 manifest and list). The bytes are returned
 * exactly as served and verified: their sha256 must equal the digest asked for
 * (by-digest pulls) and the `Docker-Content-Digest` header when the registry sends
 * one. Fails with ENOIMAGE (no such manifest or platform), ECORRUPT (digest
 * mismatch), EAUTH, EREGISTRY, ENETWORK.
 */
export class Resolver {
  readonly #client: RegistryClient;

  constructor(client: RegistryClient) {
    this.#client = client;
  }

  /** The digest, media type and size of `ref` by HEAD, or undefined when the registry has none. */
  async head(ref: ImageReference, push = false): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const res = await this.#request(ref, 'HEAD', manifestReference(ref), push);
    res.body.resume();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw registryError(formatReference(ref), 'HEAD manifest', res, '', true);
    const digest = String(res.headers['docker-content-digest'] ?? ref.digest ?? '');
    return { digest, mediaType: contentType(res), size: Number(res.headers['content-length'] ?? 0) };
  }

  /** GETs the manifest or index `ref` names (by digest when it has one). */
  async fetch(ref: ImageReference, reference = manifestReference(ref)): Promise<FetchedManifest> {
    const subject = formatReference(ref);
    const res = await this.#request(ref, 'GET', reference, false);
    const bytes = await readBody(res, MANIFEST_LIMIT, subject);
    if (res.status !== 200) throw registryError(subject, 'GET manifest', res, bytes.toString(), true);
    const digest = sha256Digest(bytes);
    const header = res.headers['docker-content-digest'];
    if (isDigest(reference) && reference !== digest) {
      throw new StrataError(ErrorCode.ECORRUPT, `${subject}: the registry sent a manifest whose digest is ${digest}, not ${reference}`);
    }
    if (typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
      throw new StrataError(ErrorCode.ECORRUPT, `${subject}: the manifest's digest is ${digest} but the registry says ${header}`);
    }
    return { digest, mediaType: contentType(res), bytes };
  }

  /** The manifest for `platform`: `ref`'s own, or the matching entry of its index (attestations skipped). */
  async resolve(ref: ImageReference, platform: Platform): Promise<Resolved> {
    const subject = formatReference(ref);
    const top = await this.fetch(ref);
    const parsed = parseManifest(top.bytes, top.mediaType, subject);
    if (!isIndex(parsed)) return { digest: top.digest, manifest: top, parsed };
    const entry = choosePlatform((parsed as ImageIndex).manifests, platform, subject);
    const manifest = await this.fetch(ref, entry.digest);
    const child = parseManifest(manifest.bytes, manifest.mediaType, `${subject}@${entry.digest}`);
    if (isIndex(child)) throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the index entry ${entry.digest} is itself an index`);
    return { digest: top.digest, index: top, manifest, parsed: child };
  }

  #request(ref: ImageReference, method: 'GET' | 'HEAD', reference: string, push: boolean): Promise<HttpResponse> {
    return this.#client.request({
      method,
      host: apiHost(ref.domain),
      target: `/v2/${ref.path}/manifests/${reference}`,
      headers: { accept: MANIFEST_ACCEPT },
      scopes: [repositoryScope(ref.path, push)],
      subject: formatReference(ref),
    });
  }
}

function contentType(res: HttpResponse): string {
  return String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
}
