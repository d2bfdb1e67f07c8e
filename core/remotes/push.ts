import { ErrorCode, StrataError } from '../errors.js';
import { isDigest, sha256Digest } from '../ids.js';
import type { RegistryClient } from './client.js';
import { parseManifest, isIndex } from './manifest.js';
import type { Descriptor } from './media-types.js';
import { Pusher } from './pusher.js';
import { formatReference, type ImageReference } from '../images/reference.js';
import { limiter, shortId, type PushProgress, type PushSource } from './transfer.js';

/**
 * Layers uploaded at once: Docker's `max-concurrent-uploads` default (skopeo
 * sends up to 6). Each upload holds at most two CHUNK_SIZE chunks in memory.
 */
export const UPLOAD_CONCURRENCY = 5;

export interface PushOptions {
  readonly client: RegistryClient;
  readonly concurrency?: number;
  /** Bytes per PATCH of a blob the source gives as a file; default FILE_CHUNK_SIZE (pusher.ts). */
  readonly fileChunkSize?: number;
  readonly onProgress?: (event: PushProgress) => void;
}

export interface PushResult {
  /** The tag pushed (or the digest, for a by-digest destination). */
  readonly tag: string;
  /** sha256 of the manifest bytes pushed (unchanged from the source). */
  readonly digest: string;
  /** Manifest size in bytes. */
  readonly size: number;
}

/**
 * Pushes the image `source` describes to `dest` (`domain/path:tag`, or `@digest`
 * which must equal the manifest's). Each blob — the config first, then the
 * layers, `concurrency` at a time — is skipped when the repository has it (HEAD),
 * mounted when `source.mountSources` names a repository of the same registry
 * that has it, else uploaded in chunks. The manifest is PUT last, bytes exactly
 * as `source.manifest()` gave them. Fails with EINVALID (an index, or a digest
 * destination that does not match), ECORRUPT, EAUTH, EREGISTRY, ENETWORK.
 */
export async function push(source: PushSource, dest: ImageReference, options: PushOptions): Promise<PushResult> {
  const subject = formatReference(dest);
  const { mediaType, bytes } = await source.manifest();
  const parsed = parseManifest(bytes, mediaType, subject);
  if (isIndex(parsed)) throw new StrataError(ErrorCode.EINVALID, `${subject}: pushing an index is not supported; push one platform's image`);
  const reference = dest.digest ?? dest.tag ?? 'latest';
  if (isDigest(reference) && reference !== sha256Digest(bytes)) {
    throw new StrataError(ErrorCode.EINVALID, `${subject}: the manifest's digest is ${sha256Digest(bytes)}, not the one in the destination`);
  }
  const pusher = new Pusher(options.client, dest, options.fileChunkSize);
  const progress = options.onProgress ?? (() => undefined);
  const limit = limiter(options.concurrency ?? UPLOAD_CONCURRENCY);
  const layers = uniqueByDigest(parsed.layers);
  for (const d of layers) progress({ id: shortId(d.digest), status: 'Preparing' });
  for (const d of layers) progress({ id: shortId(d.digest), status: 'Waiting' });

  const send = async (d: Descriptor, report: boolean): Promise<void> => {
    const id = shortId(d.digest);
    if (await pusher.has(d)) {
      if (report) progress({ id, status: 'Layer already exists' });
      return;
    }
    for (const from of (await source.mountSources?.(d, dest.domain)) ?? []) {
      if (from === dest.path) continue;
      if (await pusher.mount(d, from)) {
        if (report) progress({ id, status: `Mounted from ${from}` });
        return;
      }
    }
    const onBytes = report ? (sent: number) => progress({ id, status: 'Pushing', current: sent, total: d.size }) : undefined;
    const file = await source.file?.(d);
    if (file !== undefined) {
      await pusher.upload(d, { file }, onBytes);
    } else {
      const body = await source.open(d);
      try {
        await pusher.upload(d, body, onBytes);
      } finally {
        body.destroy();
      }
    }
    if (report) progress({ id, status: 'Pushed' });
  };

  await Promise.all([send(parsed.config, false), ...layers.map((d) => limit(() => send(d, true)))]);
  const digest = await pusher.putManifest(reference, mediaType, bytes);
  await source.pushed?.(dest, [parsed.config, ...layers]);
  return { tag: reference, digest, size: bytes.length };
}

function uniqueByDigest(list: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return list.filter((d) => !seen.has(d.digest) && seen.add(d.digest) !== undefined);
}
