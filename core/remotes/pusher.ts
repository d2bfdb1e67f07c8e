import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../errors.js';
import { sha256Digest } from '../ids.js';
import { repositoryScope } from './challenge.js';
import type { RegistryClient } from './client.js';
import type { Descriptor } from './media-types.js';
import { formatReference, type ImageReference } from '../images/reference.js';
import { apiHost } from './reference.js';
import { registryError } from './registry-error.js';
import { readBody, type HttpResponse } from './transport.js';

/** Bytes per PATCH of a chunked upload (buffered, so a chunk can be resent): 8 MiB. */
export const CHUNK_SIZE = 8 * 1024 * 1024;


/**
 * Pushes blobs and manifests to one repository (`ref.domain/ref.path`).
 *
 * Blob uploads are chunked (POST, then PATCH chunks of CHUNK_SIZE with
 * Content-Range, then PUT `?digest=`), each request sent to the Location the
 * previous answer gave (absolute or relative). No reliance on 416 or on
 * single-request uploads (distribution ignores their body). The bytes are
 * hashed on the way: a source whose size or digest differs from its
 * descriptor fails with ECORRUPT before the final PUT, and the upload is
 * cancelled. Fails with EAUTH, EREGISTRY, ENETWORK, ECORRUPT.
 */
export class Pusher {
  readonly #client: RegistryClient;
  readonly #ref: ImageReference;

  constructor(client: RegistryClient, ref: ImageReference) {
    this.#client = client;
    this.#ref = ref;
  }

  /** True when the repository has the blob (HEAD 200). */
  async has(desc: Descriptor): Promise<boolean> {
    const res = await this.#request('HEAD', `/v2/${this.#ref.path}/blobs/${desc.digest}`, this.#scopes());
    res.body.resume();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw registryError(this.#subject(desc), 'HEAD blob', res, '');
  }

  /**
   * Asks the registry to mount the blob from `from` (another repository path of
   * the same registry). Returns true when mounted (201); false when the registry
   * started an upload instead (202; that upload is cancelled — `upload` begins its own).
   */
  async mount(desc: Descriptor, from: string): Promise<boolean> {
    const query = `mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.#request('POST', `/v2/${this.#ref.path}/blobs/uploads/?${query}`, [...this.#scopes(), repositoryScope(from, false)], {
      'content-length': '0',
    });
    const body = await readBody(res, 64 * 1024, this.#subject(desc));
    if (res.status === 201) return true;
    if (res.status === 202) {
      await this.#cancel(res);
      return false;
    }
    throw registryError(this.#subject(desc), `mount from ${from}`, res, body.toString());
  }

  /** Uploads `source` (the blob's exact bytes) in chunks. `onBytes` gets the running total sent. */
  async upload(desc: Descriptor, source: Readable, onBytes?: (sent: number) => void): Promise<void> {
    const subject = this.#subject(desc);
    let res = await this.#request('POST', `/v2/${this.#ref.path}/blobs/uploads/`, this.#scopes(), { 'content-length': '0' });
    let location = await this.#location(res, 202, 'start upload', subject);
    const hash = createHash('sha256');
    let sent = 0;
    // The next chunk is read while the current PATCH is in flight (two chunks in memory at most).
    const reader = chunks(source, CHUNK_SIZE);
    let next = reader.next();
    next.catch(() => undefined);
    try {
      for (let item = await next; item.done !== true; item = await next) {
        const parts = item.value;
        const length = parts.reduce((n, part) => n + part.length, 0);
        next = reader.next();
        next.catch(() => undefined);
        for (const part of parts) hash.update(part);
        res = await this.#request('PATCH', location, this.#scopes(), {
          'content-type': 'application/octet-stream',
          'content-range': `${sent}-${sent + length - 1}`,
        }, parts);
        location = await this.#location(res, 202, 'upload chunk', subject);
        sent += length;
        onBytes?.(sent);
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (sent !== desc.size || digest !== desc.digest) {
        throw new StrataError(ErrorCode.ECORRUPT, `${subject}: the local blob has ${sent} bytes with digest ${digest}, not what its descriptor says; nothing was committed`);
      }
    } catch (err) {
      await reader.return(undefined).catch(() => undefined);
      await this.#request('DELETE', location, this.#scopes()).then((r) => r.body.resume(), () => undefined);
      throw err;
    }
    const url = new URL(location, 'http://placeholder');
    url.searchParams.set('digest', desc.digest);
    const target = /^https?:\/\//.test(location) ? url.href : `${url.pathname}${url.search}`;
    res = await this.#request('PUT', target, this.#scopes(), { 'content-length': '0' });
    const body = await readBody(res, 64 * 1024, subject);
    if (res.status !== 201) throw registryError(subject, 'commit upload', res, body.toString());
  }

  /** PUTs a manifest (bytes exactly as given) under `tagOrDigest`; returns its digest. */
  async putManifest(tagOrDigest: string, mediaType: string, bytes: Buffer): Promise<string> {
    const subject = formatReference(this.#ref);
    const res = await this.#request('PUT', `/v2/${this.#ref.path}/manifests/${tagOrDigest}`, this.#scopes(), { 'content-type': mediaType }, bytes);
    const body = await readBody(res, 64 * 1024, subject);
    if (res.status !== 201) throw registryError(subject, 'PUT manifest', res, body.toString());
    const digest = sha256Digest(bytes);
    const said = res.headers['docker-content-digest'];
    if (typeof said === 'string' && said.startsWith('sha256:') && said !== digest) {
      throw new StrataError(ErrorCode.EREGISTRY, `${subject}: the registry stored the manifest as ${said}, not ${digest}`);
    }
    return digest;
  }

  #scopes(): string[] {
    return [repositoryScope(this.#ref.path, true)];
  }

  /** `host/path:tag (blob sha256:…)`: the reference being pushed, and the blob. */
  #subject(desc: Descriptor): string {
    return `${formatReference(this.#ref)} (blob ${desc.digest})`;
  }

  async #location(res: HttpResponse, status: number, what: string, subject: string): Promise<string> {
    const body = await readBody(res, 64 * 1024, subject);
    const location = res.headers.location;
    if (res.status !== status) throw registryError(subject, what, res, body.toString());
    if (typeof location !== 'string' || location === '') throw new StrataError(ErrorCode.EREGISTRY, `${subject}: ${what}: the registry gave no Location`);
    return /^https?:\/\//.test(location) ? location : new URL(location, res.url).href;
  }

  async #cancel(res: HttpResponse): Promise<void> {
    const location = res.headers.location;
    if (typeof location !== 'string') return;
    await this.#request('DELETE', new URL(location, res.url).href, this.#scopes()).then((r) => r.body.resume(), () => undefined);
  }

  #request(method: 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', target: string, scopes: string[], headers: Record<string, string> = {}, body?: Buffer | readonly Buffer[]): Promise<HttpResponse> {
    return this.#client.request({ method, host: apiHost(this.#ref.domain), target, headers, body, scopes, subject: formatReference(this.#ref) });
  }
}

/** Re-chunks a stream into runs of exactly `size` bytes (the last may be shorter), as the stream's own buffers (no copy). */
async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer[]> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    let data = chunk;
    while (data.length > 0) {
      const take = Math.min(size - length, data.length);
      parts.push(data.subarray(0, take));
      length += take;
      data = data.subarray(take);
      if (length === size) {
        yield parts;
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield parts;
}
