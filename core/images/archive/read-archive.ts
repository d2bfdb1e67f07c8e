import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';
import { directorySource, tarSource, type ArchiveSource } from './archive-source.js';
import type { ArchiveFormat, ArchiveImage } from './archive-types.js';
import { readDockerArchive } from './docker-reader.js';
import { readOciLayout } from './oci-reader.js';
import { isCompressed, spool, type Spooled } from './spool.js';
import { TarIndex } from './tar-index.js';

/** An image archive opened for reading; call `close()` when the layers have been consumed. */
export interface OpenedArchive {
  readonly format: ArchiveFormat;
  /** Every image in the archive, configs and manifests verified. */
  readonly images: readonly ArchiveImage[];
  /** Removes the spooled copy, if any (idempotent). Layer streams opened after this fail. */
  close(): Promise<void>;
}

export interface OpenArchiveOptions {
  /** Where stdin or a compressed archive is spooled (the store's tmp dir; same filesystem preferred). */
  readonly tmpDir: string;
  /** Read instead of process.stdin when `input` is `-` (tests). */
  readonly stdin?: Readable;
}

/**
 * Opens `input` — a file, an OCI layout directory, or `-` for stdin — and
 * reads every image in it. The format comes from the content, never the name:
 * a directory is an OCI layout; a tar with manifest.json is a docker-archive
 * (its Docker 25+ OCI layout used when complete); a tar with index.json is an
 * oci-archive. stdin and gzip/zstd-compressed files are first spooled, as a
 * plain tar, to a temp file under `tmpDir` (never into memory).
 *
 * Fails with ENOTFOUND when `input` does not exist; EBADARCHIVE when it is none
 * of the formats; and with the readers' errors (see readDockerArchive and
 * readOciLayout). On failure nothing is left in `tmpDir`.
 */
export async function openImageArchive(input: string, options: OpenArchiveOptions): Promise<OpenedArchive> {
  let spooled: Spooled | undefined;
  try {
    let path = input;
    if (input === '-') {
      spooled = await spool(options.stdin ?? process.stdin, options.tmpDir);
      path = spooled.path;
    } else {
      const info = await stat(input).catch((err: unknown) => {
        if (errnoOf(err) === 'ENOENT') throw new StrataError(ErrorCode.ENOTFOUND, `${input}: no such file or directory`);
        throw err;
      });
      if (info.isDirectory()) return finish('oci-dir', await readLayoutDirectory(input), undefined);
      if (await isCompressed(input)) {
        spooled = await spool(createReadStream(input), options.tmpDir);
        path = spooled.path;
      }
    }
    const source = tarSource(await TarIndex.open(path, input === '-' ? 'stdin' : input));
    const [format, images] = await readTar(source);
    return finish(format, images, spooled);
  } catch (err) {
    await spooled?.remove();
    throw err;
  }
}

function finish(format: ArchiveFormat, images: ArchiveImage[], spooled: Spooled | undefined): OpenedArchive {
  return { format, images, close: async () => spooled?.remove() };
}

async function readLayoutDirectory(dir: string): Promise<ArchiveImage[]> {
  const source = directorySource(dir);
  if ((await source.file('index.json')) === undefined) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${dir}: a directory must be an OCI image layout (no index.json)`);
  }
  return readOciLayout(source);
}

async function readTar(source: ArchiveSource): Promise<[ArchiveFormat, ArchiveImage[]]> {
  if ((await source.file('manifest.json')) !== undefined) return ['docker-archive', await readDockerArchive(source)];
  if ((await source.file('index.json')) !== undefined) return ['oci-archive', await readOciLayout(source)];
  throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: not an image archive (neither manifest.json nor index.json)`);
}
