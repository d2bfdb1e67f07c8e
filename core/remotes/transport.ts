import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import { hostPolicy, type HostOptions, type HostPolicy } from './hosts.js';

/**
 * HTTP to registries over node:http/https (no dependency; streaming both ways).
 *
 * Per host, the scheme is settled once: HTTPS with the policy of `hosts.ts`;
 * where the policy allows HTTP (loopback, insecure) and the host answers a TLS
 * handshake with plain HTTP, HTTP is used from then on. A certificate that fails
 * verification is an ENETWORK error naming the host and the way out — never a
 * fallback — unless the host is insecure.
 *
 * Retries: a request whose body is replayable (every kind of body is) is retried on a
 * connection error (reset, refused, time-out) and on 5xx, at most `retries`
 * times, with exponential backoff from `backoffMs` capped at 2 s. 4xx is never
 * retried here. GET/HEAD follow redirects (Authorization is dropped when the
 * redirect leaves the host).
 */
export interface TransportOptions extends HostOptions {
  /** Retries after the first attempt; default 3. */
  readonly retries?: number;
  /** First backoff in ms; default 200. */
  readonly backoffMs?: number;
  /** Socket idle time-out in ms; default 60 000. */
  readonly timeoutMs?: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Registry host (`HOST[:PORT]`) for a path, or an absolute URL (upload Locations, redirects). */
  readonly host: string;
  /** Path with query (`/v2/...`) or an absolute URL. */
  readonly target: string;
  readonly headers?: Record<string, string>;
  /** A replayable body: one buffer, parts sent in order (no copy to join them), or a stream opened anew for each attempt. */
  readonly body?: HttpBody;
  /** Names what is being worked on, for error messages (`127.0.0.1:5000/app:1`). */
  readonly subject: string;
}

/**
 * A request body streamed rather than held in memory: `open` gives its
 * `length` bytes from the start, and is called again for each attempt (a
 * retry, an authentication challenge), so it must give the same bytes each
 * time. The stream is destroyed when the attempt fails.
 */
export interface StreamBody {
  readonly length: number;
  open(): Readable;
}

export type HttpBody = Buffer | readonly Buffer[] | StreamBody;

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL finally answered (after redirects). */
  readonly url: URL;
  /** The body stream; the caller consumes or `resume()`s it. */
  readonly body: IncomingMessage;
}

const MAX_REDIRECTS = 5;
const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);
const NOT_TLS_ERRNO = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ECONNRESET']);

interface Endpoint {
  readonly origin: string;
  readonly agent: http.Agent;
}

export class RegistryTransport {
  readonly #options: TransportOptions;
  readonly #endpoints = new Map<string, Promise<Endpoint>>();
  readonly #agents: http.Agent[] = [];

  constructor(options: TransportOptions = {}) {
    this.#options = options;
  }

  /** The base URL (`https://host` or `http://host`) a host is reached at; settles the scheme once. */
  async origin(host: string, subject: string): Promise<string> {
    return (await this.#endpoint(host, subject)).origin;
  }

  /** Sends a request (see the class comment for retries, redirects and TLS). Fails with ENETWORK. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const retries = this.#options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.#follow(req);
      } catch (err) {
        if (attempt < retries && RETRYABLE_ERRNO.has(errnoOf(err) ?? '')) {
          await this.#backoff(attempt);
          continue;
        }
        throw networkError(req.subject, req.host, err);
      }
      if (res.status >= 500 && attempt < retries) {
        res.body.resume();
        await this.#backoff(attempt);
        continue;
      }
      return res;
    }
  }

  /** Closes idle sockets; in-flight requests finish. */
  close(): void {
    for (const agent of this.#agents) agent.destroy();
  }

  async #backoff(attempt: number): Promise<void> {
    await sleep(Math.min(2000, (this.#options.backoffMs ?? 200) * 2 ** attempt));
  }

  async #follow(req: HttpRequest): Promise<HttpResponse> {
    // An absolute target (an upload Location, a token realm) is reached by the scheme it names.
    const absolute = /^https?:\/\//.test(req.target) ? new URL(req.target) : undefined;
    const endpoint = await this.#endpoint(absolute?.host ?? req.host, req.subject, absolute?.protocol === 'http:');
    let url = absolute ?? new URL(req.target, endpoint.origin);
    let headers = { ...req.headers };
    for (let hops = 0; ; hops++) {
      const agent = url.origin === endpoint.origin ? endpoint.agent : await this.#agentFor(url, req.subject);
      const res = await once(url, req.method, headers, req.body, agent, this.#options.timeoutMs ?? 60_000);
      const location = res.headers.location;
      const redirect = [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && location !== undefined;
      if (!redirect || (req.method !== 'GET' && req.method !== 'HEAD') || hops >= MAX_REDIRECTS) {
        return { status: res.statusCode ?? 0, headers: res.headers, url, body: res };
      }
      res.resume();
      const next = new URL(location, url);
      if (next.host !== url.host) {
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      url = next;
    }
  }

  async #agentFor(url: URL, subject: string): Promise<http.Agent> {
    // A redirect to another host (a CDN): that host gets its own TLS policy.
    const host = url.host;
    return (await this.#endpoint(host, subject, url.protocol === 'http:')).agent;
  }

  #endpoint(host: string, subject: string, plain = false): Promise<Endpoint> {
    const key = `${plain ? 'http' : 'https'}://${host}`;
    let endpoint = this.#endpoints.get(key);
    if (endpoint === undefined) {
      endpoint = this.#settle(host, subject, plain);
      endpoint.catch(() => this.#endpoints.delete(key));
      this.#endpoints.set(key, endpoint);
    }
    return endpoint;
  }

  async #settle(host: string, subject: string, plain: boolean): Promise<Endpoint> {
    const policy = await hostPolicy(host, this.#options);
    const httpAgent = (): Endpoint => ({ origin: `http://${host}`, agent: this.#keep(new http.Agent({ keepAlive: true })) });
    if (plain) return httpAgent();
    const tlsAgent = this.#keep(
      new https.Agent({
        keepAlive: true,
        rejectUnauthorized: policy.verify,
        ...(policy.ca.length > 0 ? { ca: [...rootCertificates, ...policy.ca.map((b) => b.toString())] } : {}),
      }),
    );
    const tls: Endpoint = { origin: `https://${host}`, agent: tlsAgent };
    if (!policy.httpFallback) return tls;
    return (await speaksTls(host, tlsAgent, policy)) ? tls : httpAgent();
  }

  #keep<T extends http.Agent>(agent: T): T {
    this.#agents.push(agent);
    return agent;
  }
}

/** True when a TLS handshake to `host` succeeds; false when it answers in plain HTTP; throws otherwise. */
async function speaksTls(host: string, agent: http.Agent, policy: HostPolicy): Promise<boolean> {
  try {
    const res = await once(new URL(`https://${host}/v2/`), 'GET', {}, undefined, agent, 10_000);
    res.resume();
    return true;
  } catch (err) {
    const code = errnoOf(err) ?? '';
    if (NOT_TLS_ERRNO.has(code) || /wrong version number|http request/i.test((err as Error).message)) return false;
    if (code === 'ECONNREFUSED' && policy.verify === false) return false;
    throw err;
  }
}

function once(url: URL, method: string, headers: Record<string, string>, body: HttpBody | undefined, agent: http.Agent, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const streamed = body !== undefined && isStreamBody(body) ? body : undefined;
    const parts = body === undefined || streamed !== undefined ? [] : Buffer.isBuffer(body) ? [body] : (body as readonly Buffer[]);
    const length = streamed?.length ?? parts.reduce((n, part) => n + part.length, 0);
    const request = lib.request(url, { method, headers: { 'user-agent': 'strata', ...headers, ...(body ? { 'content-length': String(length) } : {}) }, agent }, resolve);
    request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    if (streamed !== undefined) {
      const source = streamed.open();
      source.on('error', (err) => request.destroy(err));
      request.on('close', () => source.destroy());
      source.pipe(request);
      return;
    }
    for (const part of parts) request.write(part);
    request.end();
  });
}

function isStreamBody(body: HttpBody): body is StreamBody {
  return !Buffer.isBuffer(body) && !Array.isArray(body);
}

const CERT_ERRNO = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|ALTNAME/;

/** One line naming the subject, the host and what went wrong; certificate failures say how to trust the CA. */
export function networkError(subject: string, host: string, err: unknown): StrataError {
  if (err instanceof StrataError) return err;
  const code = errnoOf(err) ?? '';
  const message = (err as Error)?.message ?? String(err);
  if (CERT_ERRNO.test(code)) {
    return new StrataError(
      ErrorCode.ENETWORK,
      `${subject}: the certificate of ${host} is not trusted (${code}: ${message}); put its CA in /etc/containers/certs.d/${host}/ca.crt, or use --tls-verify=false`,
      { cause: err },
    );
  }
  return new StrataError(ErrorCode.ENETWORK, `${subject}: cannot reach ${host}: ${code ? `${code}: ` : ''}${message}`, { cause: err });
}

/** Reads a whole (small) body; fails with EREGISTRY past `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number, subject: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limit) {
    res.body.destroy();
    throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the registry sent ${declared} bytes, more than the ${limit} allowed`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.body.destroy();
        throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the registry sent more than the ${limit} bytes allowed`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw networkError(subject, res.url.host, err);
  }
  return Buffer.concat(chunks);
}
