import { ErrorCode, StrataError } from '../errors.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import { describeRegistryBody } from './registry-error.js';
import { RegistryTransport, readBody, type HttpRequest, type HttpResponse, type TransportOptions } from './transport.js';

/** Finds the credentials for a host (a `CredentialStore`'s `get`, or fixed ones for `login`). */
export type CredentialLookup = (host: string) => Promise<Credentials | undefined>;

export interface ClientOptions extends TransportOptions {
  readonly credentials?: CredentialLookup;
  /** A shared transport (connection reuse across clients); default a new one. */
  readonly transport?: RegistryTransport;
}

export interface AuthorizedRequest extends HttpRequest {
  /**
   * Token scopes this request needs (`repository:NAME:pull`, `repository:NAME:pull,push`,
   * plus `repository:FROM:pull` for a mount). Ignored by Basic-auth registries.
   */
  readonly scopes: readonly string[];
}

interface CachedToken {
  readonly token: string;
  /** ms since the epoch after which the token is not reused. */
  readonly expires: number;
}

/**
 * A registry client: the transport plus authentication. The first request to
 * a host goes without credentials; a 401 teaches the host's challenge (Basic or
 * Bearer), and the request is sent again once with them. Bearer tokens come
 * from the challenge's realm with its service and the request's scopes, and are
 * cached per host and scope set until 10 s before they expire (default life
 * 60 s). A second 401, or a 403, is returned to the caller, which reports it
 * (EAUTH) — never retried in a loop. The password is only ever sent in
 * Authorization headers; no message carries it.
 */
export class RegistryClient {
  readonly transport: RegistryTransport;
  readonly #credentials: CredentialLookup;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, Promise<CachedToken>>();

  constructor(options: ClientOptions = {}) {
    this.transport = options.transport ?? new RegistryTransport(options);
    this.#credentials = options.credentials ?? (async () => undefined);
  }

  async request(req: AuthorizedRequest): Promise<HttpResponse> {
    const host = req.host;
    for (let attempt = 0; ; attempt++) {
      const known = this.#challenges.get(host);
      const authorization = known === undefined ? undefined : await this.#authorization(host, known, req.scopes, req.subject);
      const res = await this.transport.send({ ...req, headers: { ...req.headers, ...(authorization ? { authorization } : {}) } });
      if (res.status !== 401 || attempt > 0) return res;
      const challenge = pickChallenge(res.headers['www-authenticate']);
      if (challenge === undefined) return res;
      res.body.resume();
      this.#challenges.set(host, challenge);
      // A token that was refused is not reused; a first unauthenticated try forgets nothing.
      if (authorization !== undefined) this.#forget(host, req.scopes);
    }
  }

  /**
   * Checks credentials against a host: GET /v2/ answered 200 with them. Fails
   * with EAUTH (refused) or ENETWORK/EREGISTRY. Used by `login` before storing.
   */
  async ping(host: string): Promise<void> {
    const res = await this.request({ method: 'GET', host, target: '/v2/', scopes: [], subject: host });
    const body = await readBody(res, 64 * 1024, host).catch(() => Buffer.alloc(0));
    if (res.status === 200) return;
    const said = describeRegistryBody(body.toString());
    if (res.status === 401 || res.status === 403) throw new StrataError(ErrorCode.EAUTH, `${host}: the registry refused the credentials: HTTP ${res.status}${said ? `: ${said}` : ''}`);
    throw new StrataError(ErrorCode.EREGISTRY, `${host}: GET /v2/: HTTP ${res.status}${said ? `: ${said}` : ''}`);
  }

  close(): void {
    this.transport.close();
  }

  async #authorization(host: string, challenge: Challenge, scopes: readonly string[], subject: string): Promise<string | undefined> {
    const credentials = await this.#credentials(host);
    if (challenge.scheme === 'basic') {
      return credentials === undefined ? undefined : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    const key = tokenKey(host, scopes);
    let cached = this.#tokens.get(key);
    if (cached !== undefined) {
      const token = await cached.catch(() => undefined);
      if (token === undefined || token.expires <= Date.now()) cached = undefined;
    }
    if (cached === undefined) {
      cached = fetchToken(this.transport, challenge, scopes, credentials, subject);
      this.#tokens.set(key, cached);
      cached.catch(() => this.#tokens.delete(key));
    }
    return `Bearer ${(await cached).token}`;
  }

  #forget(host: string, scopes: readonly string[]): void {
    this.#tokens.delete(tokenKey(host, scopes));
  }
}

function tokenKey(host: string, scopes: readonly string[]): string {
  return `${host} ${[...scopes].sort().join(' ')}`;
}

function pickChallenge(header: string | string[] | undefined): Challenge | undefined {
  const challenges = parseChallenges(header);
  return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
}

/** GET realm?service=&scope=… (Basic-authenticated when credentials exist). Fails with EAUTH or ENETWORK. */
async function fetchToken(
  transport: RegistryTransport,
  challenge: Challenge,
  scopes: readonly string[],
  credentials: Credentials | undefined,
  subject: string,
): Promise<CachedToken> {
  let realm: URL;
  try {
    realm = new URL(challenge.params.realm ?? '');
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the registry's token realm "${challenge.params.realm}" is not an http(s) URL`);
  }
  if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
  for (const scope of scopes) realm.searchParams.append('scope', scope);
  const headers: Record<string, string> = {};
  if (credentials !== undefined) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const started = Date.now();
  const res = await transport.send({ method: 'GET', host: realm.host, target: realm.href, headers, subject });
  const body = (await readBody(res, 1024 * 1024, subject)).toString();
  if (res.status === 401 || res.status === 403) {
    const said = describeRegistryBody(body);
    const who = credentials === undefined ? 'anonymous access' : `the credentials of ${credentials.username}`;
    throw new StrataError(ErrorCode.EAUTH, `${subject}: the token server ${realm.host} refused ${who}: HTTP ${res.status}${said ? `: ${said}` : ''}`);
  }
  if (res.status !== 200) {
    throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the token server ${realm.host} answered HTTP ${res.status}: ${describeRegistryBody(body)}`);
  }
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the token server ${realm.host} answered something that is not JSON`);
  }
  const token = typeof parsed.token === 'string' ? parsed.token : typeof parsed.access_token === 'string' ? parsed.access_token : undefined;
  if (!token) throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the token server ${realm.host} sent no token`);
  const life = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
  return { token, expires: started + Math.max(0, life - 10) * 1000 };
}
