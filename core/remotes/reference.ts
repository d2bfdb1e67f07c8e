/**
 * What the registry client adds to image references (`core/images/reference.ts`,
 * Docker's grammar, which parses them): where a domain's API is served, and
 * what the manifest endpoint is asked for. The client never parses strings: it
 * receives an `ImageReference` already split into domain, path, tag and digest.
 */
import type { ImageReference } from '../images/reference.js';

/** What the manifest endpoint is asked for: the digest when given, else the tag (default `latest`). */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/**
 * The host the API is served from: Docker Hub's `docker.io` is served by
 * `registry-1.docker.io`; every other domain is its own host.
 */
export function apiHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}
