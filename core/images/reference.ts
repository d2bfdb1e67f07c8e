import { ErrorCode, StrataError } from '../errors.js';

/**
 * Image references: Docker's grammar and normalisation (distribution's
 * `reference` package), parsed once into a typed value. Nothing else in strata
 * splits image names on ':' or '/'.
 *
 *     reference  := name [ ":" tag ] [ "@" digest ]
 *     name       := [ domain "/" ] path
 *     domain     := host [ ":" port ]          host: DNS name (any case), or [IPv6]
 *     path       := component ( "/" component )*
 *     component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *     tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *     digest     := algorithm ":" hex          sha256 (64), sha384 (96), sha512 (128), lowercase
 *
 * Normalisation (as `docker` does): the first path element is a domain only when
 * it contains '.' or ':', is `localhost`, or has an uppercase letter; otherwise
 * the domain is `docker.io`. `index.docker.io` is `docker.io`. A one-element
 * path on docker.io gets `library/`. So `busybox` is `docker.io/library/busybox`
 * (shown as `busybox`), `localhost:5000/a/b:t` keeps its host and port, and
 * `docker.io/x` is shown as `x`.
 *
 * These are the rules of current distribution, which the docker CLI 23+ uses
 * (28.2 checked on this machine: test/images-model/reference-docker-cli.test.ts).
 * Docker 20.10's CLI and daemon differ in three corners: an upper-case first
 * element without '.' or ':' (`Foo/bar`) is not a host there but an upper-case
 * repository (refused); IPv6 hosts (`[::1]:5000/x`) are refused; and the
 * 255-character limit counts `domain/path` (`docker.io/library/` + 237 at
 * most) instead of the path.
 *
 * Deviation, on purpose: a name whose first element looks like a domain but is
 * not a valid host (`a_b.c/d`) is refused, where Docker parses it with an empty
 * domain.
 *
 * Every failure is StrataError EINVALID whose message starts with Docker's
 * (`invalid reference format: ...`) and names the part that is wrong.
 */
export interface ImageReference {
  /** Registry host with optional port: `docker.io`, `localhost:5000`, `[::1]:5000`. Never empty. */
  readonly domain: string;
  /** Repository path within the registry: `library/busybox`, `a/b`. Lowercase. */
  readonly path: string;
  /** The tag, when one was given (no default is added by `parseReference`). */
  readonly tag?: string;
  /** `algorithm:hex`, when one was given; validated (known algorithm, exact length). */
  readonly digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** distribution's RepositoryNameTotalLengthMax. */
export const MAX_PATH_LENGTH = 255;

const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG_RE = /^\w[\w.-]{0,127}$/;
const ALGORITHM_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

/** Digest algorithms strata verifies, with their hex length. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(message: string): StrataError {
  return new StrataError(ErrorCode.EINVALID, message);
}

/**
 * Checks a digest string (`sha256:<64 lowercase hex>`, also sha384/sha512) and
 * returns it. Fails with EINVALID naming the digest and go-digest's reason
 * (`invalid checksum digest format`, `unsupported digest algorithm`,
 * `invalid checksum digest length`).
 */
export function parseDigest(text: string): string {
  const colon = text.indexOf(':');
  const why = (reason: string) => invalid(`invalid digest "${text}": ${reason}`);
  if (colon <= 0 || colon === text.length - 1) throw why('invalid checksum digest format');
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    throw why(ALGORITHM_RE.test(algorithm) && /^[0-9a-fA-F]+$/.test(hex) ? 'unsupported digest algorithm' : 'invalid checksum digest format');
  }
  if (hex.length !== length) throw why('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw why('invalid checksum digest format');
  return text;
}

/** Whether `text` is a tag Docker accepts (1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'). */
export function isValidTag(text: string): boolean {
  return TAG_RE.test(text);
}

/** Docker's splitDockerDomain, on the raw text (tag and digest still attached to the remainder). */
function splitDomain(text: string): [domain: string, remainder: string] {
  const slash = text.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + text];
  const first = text.slice(0, slash);
  const rest = text.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === LEGACY_DEFAULT_DOMAIN) [domain, remainder] = [DEFAULT_DOMAIN, rest];
  else if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) [domain, remainder] = [first, rest];
  else [domain, remainder] = [DEFAULT_DOMAIN, text];
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/**
 * Parses a reference as `docker` does (ParseNormalizedNamed): normalised domain
 * and path, tag and digest as given (no default tag: see `withDefaultTag`).
 * A bare 64-hex string is refused (it is an image id, not a name: use
 * `parseAnyReference` where either may come). Fails with EINVALID.
 */
export function parseReference(text: string): ImageReference {
  if (HEX64_RE.test(text)) {
    throw invalid(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`);
  }
  if (text === '') throw invalid('invalid reference format: repository name must have at least one component');
  const [domain, remainder] = splitDomain(text);
  const colon = remainder.indexOf(':');
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }

  // The remainder is path[:tag][@digest]: the path holds neither ':' nor '@'.
  const at = remainder.indexOf('@');
  const nameAndTag = at < 0 ? remainder : remainder.slice(0, at);
  const digestText = at < 0 ? undefined : remainder.slice(at + 1);
  const tagColon = nameAndTag.indexOf(':');
  const path = tagColon < 0 ? nameAndTag : nameAndTag.slice(0, tagColon);
  const tag = tagColon < 0 ? undefined : nameAndTag.slice(tagColon + 1);

  if (!DOMAIN_RE.test(domain)) throw invalid(`invalid reference format: "${domain}" is not a valid registry host`);
  if (!PATH_RE.test(path)) {
    throw invalid(`invalid reference format: repository name "${path}" is not valid (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")`);
  }
  if (path.length > MAX_PATH_LENGTH) throw invalid(`repository name must not be more than ${MAX_PATH_LENGTH} characters`);
  if (tag !== undefined && !TAG_RE.test(tag)) {
    throw invalid(`invalid reference format: tag "${tag}" is not valid (1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)`);
  }
  let digest: string | undefined;
  if (digestText !== undefined) {
    try {
      digest = parseDigest(digestText);
    } catch (err) {
      throw invalid(`invalid reference format: ${(err as Error).message}`);
    }
  }
  return { domain, path, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The reference with tag `latest` when it has neither tag nor digest (TagNameOnly). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/**
 * A name to create or move: a reference without digest, `latest` when no tag is
 * given (`docker tag`, `import`, `commit`, `load` names). Fails with EINVALID as
 * `parseReference`, and with Docker's `refusing to create a tag with a digest
 * reference` for a digest.
 */
export function parseTagTarget(text: string): ImageReference {
  const ref = parseReference(text);
  if (ref.digest !== undefined) throw invalid('refusing to create a tag with a digest reference');
  return withDefaultTag(ref);
}

/** `domain/path`: the full repository name (`docker.io/library/busybox`). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The repository as Docker shows it: `busybox`, `user/app`, `localhost:5000/a/b`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  if (ref.path.startsWith(OFFICIAL_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

function suffix(ref: ImageReference): string {
  return `${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** The reference as Docker shows it: `busybox:latest`, `localhost:5000/a/b@sha256:…`. */
export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + suffix(ref);
}

/** The fully qualified form: `docker.io/library/busybox:latest`. `parseReference` reads it back unchanged. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + suffix(ref);
}

/** What a user may name an image by: an id (full digest or bare 64 hex), or a reference. */
export type AnyReference =
  | { readonly kind: 'id'; readonly digest: string }
  | { readonly kind: 'reference'; readonly reference: ImageReference };

/**
 * ParseAnyReference: a bare 64-hex string is the id `sha256:<hex>`; a valid
 * digest (`sha256:<hex>`) is an id; anything else is parsed by `parseReference`.
 * A short hex prefix is a valid *name*: id-prefix lookups are the store's job.
 */
export function parseAnyReference(text: string): AnyReference {
  if (HEX64_RE.test(text)) return { kind: 'id', digest: `sha256:${text}` };
  try {
    return { kind: 'id', digest: parseDigest(text) };
  } catch {
    return { kind: 'reference', reference: parseReference(text) };
  }
}
