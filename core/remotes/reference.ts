/**
 * The typed image reference the registry client takes as input.
 *
 * Minimal local stand-in, TO BE REPLACED by `core/images/reference.ts` (Docker's
 * reference grammar and normalisation). The registry client never parses
 * strings itself: it receives a value already split into domain, path, tag and
 * digest, and only formats it back for messages and URLs.
 */
export interface RemoteReference {
  /** Registry host as written, with port when given: `docker.io`, `127.0.0.1:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/busybox`. */
  readonly path: string;
  /** Tag, when given. */
  readonly tag?: string;
  /** `sha256:<64 hex>`, when given; wins over the tag for what is fetched. */
  readonly digest?: string;
}

/** `domain/path[:tag][@digest]`, for messages. */
export function formatReference(ref: RemoteReference): string {
  return `${ref.domain}/${ref.path}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `domain/path`, the repository named in push output (`The push refers to repository [..]`). */
export function repositoryName(ref: RemoteReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** What the manifest endpoint is asked for: the digest when given, else the tag (default `latest`). */
export function manifestReference(ref: RemoteReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/**
 * The host the API is served from: Docker Hub's `docker.io` is served by
 * `registry-1.docker.io`; every other domain is its own host.
 */
export function apiHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}
