import { constants, createReadStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { batches, closeFd, openFd, writevAllFd } from '../archive/fd.js';
import type { RegistryClient } from './client.js';
import { Fetcher, drained } from './fetcher.js';
import type { Descriptor, Platform } from './media-types.js';
import { hostPlatform } from './platform.js';
import type { ImageReference } from '../images/reference.js';
import { Resolver } from './resolver.js';
import { limiter, shortId, type PullProgress, type PullSink } from './transfer.js';

/** Layers downloaded at once, as Docker's `max-concurrent-downloads`. */
export const DOWNLOAD_CONCURRENCY = 3;
/** A download is written to its file in runs of at least this many bytes (one writev each): 1 MiB. */
const WRITE_RUN = 1024 * 1024;
/** Bytes per read of a downloaded file handed to the sink (few thread-pool round trips). */
export const READ_CHUNK = 1024 * 1024;

export interface PullOptions {
  readonly client: RegistryClient;
  readonly sink: PullSink;
  /** Default: this host's (`hostPlatform()`). */
  readonly platform?: Platform;
  /** Default DOWNLOAD_CONCURRENCY. */
  readonly concurrency?: number;
  readonly onProgress?: (event: PullProgress) => void;
}

export interface PullResult {
  /** The digest the reference resolved to (the index's for a multi-platform image). */
  readonly digest: string;
  /** The platform manifest's digest. */
  readonly manifestDigest: string;
  /** True when at least one blob was downloaded (Docker's "Downloaded newer image" against "Image is up to date"). */
  readonly downloaded: boolean;
}

/**
 * Pulls `ref` into `options.sink` (see `PullSink` for the order of calls).
 * Blobs the sink has are never requested. Missing layers download
 * `concurrency` at a time into verified temporary files and are handed to the
 * sink in order as soon as each one's predecessors are applied. On failure
 * the downloads stop, the temporary files are removed and `sink.abort` is
 * called; the error is the first one (ENOIMAGE, ECORRUPT, EAUTH, EREGISTRY,
 * ENETWORK, or the sink's own).
 */
export async function pull(ref: ImageReference, options: PullOptions): Promise<PullResult> {
  const { client, sink } = options;
  const progress = options.onProgress ?? (() => undefined);
  const resolved = await new Resolver(client).resolve(ref, options.platform ?? hostPlatform());
  const fetcher = new Fetcher(client, ref);
  const { config, layers } = resolved.parsed;
  let downloaded = false;
  let began = false;
  // The first download that failed on its own (not aborted): it, rather than what the
  // sink or the other downloads made of being cut short, is the pull's error.
  let failure: unknown;
  const staging = await mkdtemp(join(sink.tempDir ?? tmpdir(), 'strata-pull-'));
  const controller = new AbortController();
  try {
    began = true;
    if (!(await sink.has(config))) {
      downloaded = true;
      await sink.config(config, await fetcher.read(config));
    }
    const present = await Promise.all(layers.map((d, i) => sink.has(d, i)));
    for (const [i, d] of layers.entries()) if (present[i]) progress({ id: shortId(d.digest), status: 'Already exists' });
    const limit = limiter(options.concurrency ?? DOWNLOAD_CONCURRENCY);
    const files = new Map<string, Promise<string>>();
    // The first layer to apply goes to the sink as it downloads (its file is written all the same).
    let live: { readonly digest: string; readonly body: PassThrough } | undefined;
    for (const [i, d] of layers.entries()) {
      if (present[i] || files.has(d.digest)) continue;
      progress({ id: shortId(d.digest), status: 'Waiting' });
      downloaded = true;
      const tee = live === undefined ? new PassThrough({ highWaterMark: READ_CHUNK }) : undefined;
      if (tee !== undefined) {
        // The sink sees a failed download through its reads; once it stopped reading, nobody listens.
        tee.on('error', () => undefined);
        live = { digest: d.digest, body: tee };
      }
      const file = limit(() => download(fetcher, d, join(staging, d.digest.slice(d.digest.indexOf(':') + 1)), progress, controller.signal, tee));
      file.catch((err: unknown) => {
        if (!controller.signal.aborted) failure ??= err;
        controller.abort();
      });
      files.set(d.digest, file);
    }
    for (const [i, d] of layers.entries()) {
      const file = present[i] ? undefined : files.get(d.digest)!;
      let body: Readable | null = null;
      if (file !== undefined && live?.digest === d.digest) {
        body = live.body;
        live = undefined;
      } else if (file !== undefined) {
        body = createReadStream(await file, { highWaterMark: READ_CHUNK });
      }
      try {
        await sink.layer(i, d, body, file);
      } finally {
        body?.destroy();
      }
      progress({ id: shortId(d.digest), status: present[i] ? 'Already exists' : 'Pull complete' });
    }
    await sink.commit({ reference: ref, digest: resolved.digest, manifest: resolved.manifest, index: resolved.index, config, layers });
    return { digest: resolved.digest, manifestDigest: resolved.manifest.digest, downloaded };
  } catch (err) {
    controller.abort();
    if (began) await sink.abort?.(err).catch(() => undefined);
    throw failure ?? err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Downloads one blob into `file` (named by the blob's hex digest), verified:
 * the bytes go to `file.part`, renamed to `file` once verified, so a file of
 * that name is complete and correct even after a crash (a later pull's sink
 * may adopt it). With `tee`, the bytes also go there as they arrive (it ends
 * once they are verified, fails otherwise; a reader that stops does not stop
 * the download). Progress at most every 64 KiB step of 1%.
 */
async function download(fetcher: Fetcher, desc: Descriptor, file: string, progress: (e: PullProgress) => void, signal: AbortSignal, tee?: PassThrough): Promise<string> {
  signal.throwIfAborted();
  const id = shortId(desc.digest);
  let reported = 0;
  const step = Math.max(64 * 1024, Math.floor(desc.size / 100));
  const body = fetcher.open(desc, (received) => {
    if (received - reported >= step || received === desc.size) {
      reported = received;
      progress({ id, status: 'Downloading', current: received, total: desc.size });
    }
  });
  // A small blob can fail its check before writeAll has opened its file and started reading: the
  // stream keeps that error (errored) and the reading throws it; without a listener meanwhile the
  // 'error' event would end the process.
  body.on('error', () => undefined);
  try {
    await writeAll(body, `${file}.part`, signal, tee);
  } catch (err) {
    if (tee !== undefined && !tee.destroyed) tee.destroy(err as Error);
    throw err;
  }
  await rename(`${file}.part`, file);
  progress({ id, status: 'Download complete' });
  return file;
}

/** Writes `body` to a new file in runs of WRITE_RUN bytes (and to `tee`); stops (destroying `body`) when `signal` aborts. */
async function writeAll(body: Readable, file: string, signal: AbortSignal, tee?: PassThrough): Promise<void> {
  const abort = (): void => void body.destroy(signal.reason as Error);
  signal.addEventListener('abort', abort, { once: true });
  const fd = await openFd(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    const chunks = tee === undefined ? (body as AsyncIterable<Buffer>) : teed(body, tee);
    for await (const run of batches(chunks, WRITE_RUN)) await writevAllFd(fd, run);
  } finally {
    signal.removeEventListener('abort', abort);
    body.destroy();
    await closeFd(fd);
  }
}

/** The chunks of `source`, each also written to `copy` (unless it was destroyed); `copy` ends after the last. */
async function* teed(source: Readable, copy: PassThrough): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (!copy.destroyed && !copy.write(chunk)) await drained(copy);
    yield chunk;
  }
  copy.end();
}
