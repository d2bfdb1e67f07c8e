import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../errors.js';
import { sha256Digest } from '../ids.js';
import { repositoryScope } from './challenge.js';
import type { RegistryClient } from './client.js';
import type { Descriptor } from './media-types.js';
import { formatReference, type ImageReference } from '../images/reference.js';
import { apiHost } from './reference.js';
import { registryError } from './registry-error.js';
import { readBody, type HttpBody, type HttpResponse } from './transport.js';

/** Bytes per PATCH of a chunked upload from a stream (buffered, so a chunk can be resent): 8 MiB. */
export const CHUNK_SIZE = 8 * 1024 * 1024;
/**
 * Bytes per PATCH of a chunked upload from a file: 64 MiB, streamed from the
 * file (read again to resend), so nothing is buffered. Each request costs the
 * registry a resume of the upload (distribution: reopen, reload the hash
 * state), so a typical layer goes in one PATCH.
 */
export const FILE_CHUNK_SIZE = 64 * 1024 * 1024;

/** What `upload` sends: a stream (chunks buffered) or a file holding exactly the blob's bytes (chunks streamed). */
export type BlobSource = Readable | { readonly file: string };


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

  readonly #fileChunkSize: number;

  /** `fileChunkSize`: bytes per PATCH from a file (default FILE_CHUNK_SIZE). */
  constructor(client: RegistryClient, ref: ImageReference, fileChunkSize = FILE_CHUNK_SIZE) {
    this.#client = client;
    this.#ref = ref;
    this.#fileChunkSize = fileChunkSize;
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

  /**
   * Uploads `source` (the blob's exact bytes) in chunks. `onBytes` gets the
   * running total sent (per chunk from a stream, as it streams from a file).
   */
  async upload(desc: Descriptor, source: BlobSource, onBytes?: (sent: number) => void): Promise<void> {
    const subject = this.#subject(desc);
    // Held open for the whole upload: the blob stays readable even if it is deleted meanwhile.
    const handle = 'file' in source ? await open(source.file, 'r') : undefined;
    try {
      if (handle !== undefined) {
        const { size } = await handle.stat();
        if (size !== desc.size) throw new StrataError(ErrorCode.ECORRUPT, `${subject}: the local blob has ${size} bytes, not the ${desc.size} its descriptor says; nothing was sent`);
      }
      await this.#upload(desc, handle !== undefined ? fileChunks(handle, desc.size, this.#fileChunkSize) : streamChunks(source as Readable), subject, onBytes);
    } finally {
      await handle?.close();
    }
  }

  async #upload(desc: Descriptor, reader: AsyncGenerator<UploadChunk>, subject: string, onBytes?: (sent: number) => void): Promise<void> {
    let res = await this.#request('POST', `/v2/${this.#ref.path}/blobs/uploads/`, this.#scopes(), { 'content-length': '0' });
    let location = await this.#location(res, 202, 'start upload', subject);
    let hash = createHash('sha256');
    let sent = 0;
    let next = reader.next();
    next.catch(() => undefined);
    try {
      for (let item = await next; item.done !== true; item = await next) {
        const chunk = item.value;
        next = reader.next();
        next.catch(() => undefined);
        const body = chunk.body(hash, (n) => onBytes?.(sent + n));
        res = await this.#request('PATCH', location, this.#scopes(), {
          'content-type': 'application/octet-stream',
          'content-range': `${sent}-${sent + chunk.length - 1}`,
        }, body.body);
        location = await this.#location(res, 202, 'upload chunk', subject);
        hash = body.hashed();
        sent += chunk.length;
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

  #request(method: 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', target: string, scopes: string[], headers: Record<string, string> = {}, body?: HttpBody): Promise<HttpResponse> {
    return this.#client.request({ method, host: apiHost(this.#ref.domain), target, headers, body, scopes, subject: formatReference(this.#ref) });
  }
}

/**
 * One PATCH's worth of the blob. `body(hash, onBytes)` gives the request body
 * and, once the PATCH succeeded, the hash of everything sent so far: `hash`
 * (the state before this chunk) is left untouched, so a resent body (a retry
 * opens a file chunk again) is hashed once.
 */
interface UploadChunk {
  readonly length: number;
  body(hash: Hash, onBytes: (n: number) => void): { readonly body: HttpBody; hashed(): Hash };
}

/** Chunks of a stream, CHUNK_SIZE bytes each, buffered; the next is read while the current PATCH is in flight (two in memory at most). */
async function* streamChunks(source: Readable): AsyncGenerator<UploadChunk> {
  for await (const parts of chunks(source, CHUNK_SIZE)) {
    const length = parts.reduce((n, part) => n + part.length, 0);
    yield {
      length,
      body: (hash, chunkBytes) => ({
        body: parts,
        hashed: () => {
          for (const part of parts) hash.update(part);
          chunkBytes(length);
          return hash;
        },
      }),
    };
  }
}

/** Chunks of an open file of `size` bytes, `chunkSize` each, streamed (and hashed) from the file by each attempt. */
async function* fileChunks(file: FileHandle, size: number, chunkSize: number): AsyncGenerator<UploadChunk> {
  for (let start = 0; start < size; start += chunkSize) {
    const length = Math.min(chunkSize, size - start);
    yield {
      length,
      body: (hash, onBytes) => {
        let attempt: Hash | undefined;
        return {
          body: {
            length,
            open: () => {
              const own = hash.copy();
              attempt = own;
              return Readable.from(readRange(file, start, length, own, onBytes), { objectMode: false });
            },
          },
          hashed: () => attempt ?? hash,
        };
      },
    };
  }
}

/**
 * `length` bytes of `file` from `start`, in reads of 1 MiB, each hashed into
 * `hash` as it is read; `onBytes` gets the running count. A file that ends
 * early fails with ECORRUPT (the upload must not hang on a short body).
 */
async function* readRange(file: FileHandle, start: number, length: number, hash: Hash, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  while (done < length) {
    const want = Math.min(1024 * 1024, length - done);
    const { bytesRead, buffer } = await file.read(Buffer.allocUnsafe(want), 0, want, start + done);
    if (bytesRead === 0) throw new StrataError(ErrorCode.ECORRUPT, `the local blob ended ${length - done} bytes early`);
    const data = buffer.subarray(0, bytesRead);
    hash.update(data);
    done += bytesRead;
    onBytes(done);
    yield data;
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
