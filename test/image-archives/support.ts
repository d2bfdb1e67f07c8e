import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExecutionContext } from 'ava';
import { openLayerStream } from '../../core/archive/decompress.js';
import type { ArchiveImage, Digest, SaveImage, SaveLayer } from '../../core/images/archive/index.js';
import { isStrataError, type ErrorCode } from '../../core/errors.js';
import { runPeer } from '../helpers/peers/index.js';
import { nameOf } from './fixtures.js';

/** A temp directory removed when the test ends. */
export async function tempDir(t: ExecutionContext, prefix = 'strata-ia-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** sha256 and byte count of everything `stream` yields. */
export async function hashOf(stream: Readable): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/**
 * What the store would hand the writers for an image it loaded from `image`,
 * tagged with the familiar `names`:
 * each layer decompressed to a file under `dir` (its diffID checked), the
 * stored blob offered as `compressed` when `keepBlobs`, the manifest when
 * `keepManifest`.
 */
export async function asSaveImage(image: ArchiveImage, names: readonly string[], dir: string, options: { keepBlobs?: boolean; keepManifest?: boolean } = {}): Promise<SaveImage> {
  const layers: SaveLayer[] = [];
  for (const [i, layer] of image.layers.entries()) {
    const file = join(dir, `layer-${image.config.digest.slice(7, 19)}-${i}.tar`);
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(await openLayerStream(await layer.open()), count, createWriteStream(file));
    const diffId = `sha256:${hash.digest('hex')}` as Digest;
    if (diffId !== layer.diffId) throw new Error(`layer ${i}: uncompressed ${diffId}, config says ${layer.diffId}`);
    const blob = layer.blobDigest;
    layers.push({
      diffId,
      size,
      open: async () => createReadStream(file),
      ...(options.keepBlobs === true && blob !== undefined && blob !== diffId
        ? { compressed: { digest: blob, size: layer.size, mediaType: layer.mediaType ?? '', open: () => layer.open() } }
        : {}),
    });
  }
  return {
    names: names.map(nameOf),
    config: image.config,
    ...(options.keepManifest === true && image.manifest !== undefined ? { manifest: image.manifest } : {}),
    layers,
  };
}

/** Asserts that `promise` fails with StrataError `code`, in one line containing `fragment`. */
export async function assertFails(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode, fragment: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isStrataError(err)) {
    t.fail(`expected ${code} mentioning ${JSON.stringify(fragment)}, got ${err === undefined ? 'success' : String(err)}`);
    return;
  }
  t.is(err.code, code, err.message);
  t.true(err.message.includes(fragment), `${JSON.stringify(err.message)} should mention ${JSON.stringify(fragment)}`);
  t.false(err.message.includes('\n'), 'one line');
}

/**
 * A listing of the tree at `root` that says everything a layer must keep: per
 * path, type, mode (with setuid bits), owner, link target, content hash,
 * device numbers, xattrs (user.*), and the link count of hard-linked files.
 */
export async function describeTree(root: string): Promise<string> {
  const script = [
    'cd "$1" || exit 1',
    "find . -printf '%p %y %m %U:%G %l\\n' | LC_ALL=C sort",
    "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum",
    "find . -type f -links +1 -printf '%p has %n links\\n' | LC_ALL=C sort",
    "find . \\( -type c -o -type b \\) -exec stat -c '%n device %t:%T' {} + | LC_ALL=C sort",
    'find . -print0 | LC_ALL=C sort -z | xargs -0 getfattr -h -d -m "^user\\." 2>/dev/null | grep -v "^$" || true',
  ].join('\n');
  return runPeer('sh', ['-c', script, 'sh', root]);
}
