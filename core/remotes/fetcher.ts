import { createHash } from 'node:crypto';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, StrataError } from '../errors.js';
import { repositoryScope } from './challenge.js';
import type { RegistryClient } from './client.js';
import type { Descriptor } from './media-types.js';
import { formatReference, type ImageReference } from '../images/reference.js';
import { apiHost } from './reference.js';
import { registryError } from './registry-error.js';
import { readBody, networkError } from './transport.js';

/** Times an interrupted blob download is resumed before it fails with ENETWORK. */
export const RESUME_ATTEMPTS = 5;

/**
 * Fetches blobs (configs, layers) of one repository.
 *
 * `open` returns the blob as a stream that is verified while it flows: the
 * bytes are hashed on the way, and when the stream ends with a size or sha256
 * other than the descriptor's it is destroyed with ECORRUPT instead of
 * ending — the caller discards what it wrote. A connection that breaks
 * mid-body is resumed with `Range: bytes=<received>-` (from a registry that
 * ignores the range, the bytes already received are skipped), at most
 * RESUME_ATTEMPTS times. Redirects (to storage backends) are followed.
 */
export class Fetcher {
  readonly #client: RegistryClient;
  readonly #ref: ImageReference;

  constructor(client: RegistryClient, ref: ImageReference) {
    this.#client = client;
    this.#ref = ref;
  }

  /** The blob as a verified stream. `onBytes` is told the running total of bytes received. */
  open(desc: Descriptor, onBytes?: (received: number) => void): Readable {
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    this.#pump(desc, out, onBytes).catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  /** A small blob (a config) read whole and verified; fails past `limit` bytes. */
  async read(desc: Descriptor, limit = 16 * 1024 * 1024): Promise<Buffer> {
    if (desc.size > limit) throw new StrataError(ErrorCode.EREGISTRY, `${this.#subject(desc)}: ${desc.size} bytes is more than the ${limit} allowed`);
    const chunks: Buffer[] = [];
    for await (const chunk of this.open(desc) as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async #pump(desc: Descriptor, out: PassThrough, onBytes?: (received: number) => void): Promise<void> {
    const subject = this.#subject(desc);
    const hash = createHash('sha256');
    let received = 0;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = received > 0 ? { range: `bytes=${received}-` } : {};
      const res = await this.#client.request({
        method: 'GET',
        host: apiHost(this.#ref.domain),
        target: `/v2/${this.#ref.path}/blobs/${desc.digest}`,
        headers,
        scopes: [repositoryScope(this.#ref.path, false)],
        subject,
      });
      if (res.status !== 200 && res.status !== 206) {
        const body = await readBody(res, 64 * 1024, subject).catch(() => Buffer.alloc(0));
        throw registryError(subject, 'GET blob', res, body.toString());
      }
      // A 200 to a range request restarts at 0: skip what was already received.
      let skip = res.status === 200 ? received : 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (out.destroyed) {
            res.body.destroy();
            return;
          }
          let data = chunk;
          if (skip > 0) {
            const dropped = Math.min(skip, data.length);
            data = data.subarray(dropped);
            skip -= dropped;
            if (data.length === 0) continue;
          }
          received += data.length;
          if (received > desc.size) throw corrupt(subject, `more than the ${desc.size} bytes its descriptor says`);
          hash.update(data);
          onBytes?.(received);
          if (!out.write(data)) await drained(out);
        }
      } catch (err) {
        if (err instanceof StrataError) throw err;
        if (attempt + 1 >= RESUME_ATTEMPTS || out.destroyed) throw networkError(subject, apiHost(this.#ref.domain), err);
        await sleep(Math.min(2000, 100 * 2 ** attempt));
        continue;
      }
      if (received < desc.size) {
        // The body ended early without an error (a proxy cut it): resume too.
        if (attempt + 1 >= RESUME_ATTEMPTS) throw new StrataError(ErrorCode.ENETWORK, `${subject}: the download stopped at ${received} of ${desc.size} bytes`);
        continue;
      }
      break;
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== desc.digest) throw corrupt(subject, `bytes whose digest is ${digest}`);
    out.end();
  }

  /** `host/path:tag (blob sha256:…)`: the reference being pulled, and the blob. */
  #subject(desc: Descriptor): string {
    return `${formatReference(this.#ref)} (blob ${desc.digest})`;
  }
}

/** Resolves when `out` drains or closes; leaves no listener behind. */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

function corrupt(subject: string, what: string): StrataError {
  return new StrataError(ErrorCode.ECORRUPT, `${subject}: the registry sent ${what}; the blob is discarded`);
}
