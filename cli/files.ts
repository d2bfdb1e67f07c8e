import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, StrataError, errnoOf } from '../core/engine.js';
import { usageError } from './errors.js';
import { ProgressMeter } from './progress.js';

/** `-` names stdin or stdout on the command line. */
export const STDIO = '-';

/** A file-system failure on a path the user named: ENOTFOUND for a missing path, EIO otherwise. */
function fileError(path: string, verb: string, err: unknown): StrataError {
  const errno = errnoOf(err);
  const code = errno === 'ENOENT' ? ErrorCode.ENOTFOUND : ErrorCode.EIO;
  const why = errno === 'ENOENT' ? 'no such file or directory' : (errno ?? (err as Error).message);
  return new StrataError(code, `cannot ${verb} ${path}: ${why}`, { cause: err });
}

/**
 * The bytes of FILE (or stdin for `-`) through a progress meter labelled
 * `label`. Fails with ENOTFOUND (no such file), EIO (not a regular file,
 * unreadable) and EUSAGE (stdin is a terminal: a tar cannot be typed).
 */
export async function openInput(path: string, label: string): Promise<Readable> {
  let source: Readable;
  let size: number | undefined;
  if (path === STDIO) {
    if (process.stdin.isTTY) throw usageError('refusing to read a tar from a terminal: give a FILE or pipe one in');
    source = process.stdin;
  } else {
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new StrataError(ErrorCode.EIO, `cannot read ${path}: not a regular file`);
      size = info.size;
    } catch (err) {
      throw err instanceof StrataError ? err : fileError(path, 'read', err);
    }
    source = createReadStream(path);
  }
  const meter = new ProgressMeter(label, size);
  // Errors of the source reach the consumer by destroying the meter.
  source.on('error', (err) => meter.destroy(fileError(path === STDIO ? 'stdin' : path, 'read', err)));
  return source.pipe(meter);
}

/**
 * Streams `data` to FILE (atomically: a temporary name in the same directory,
 * renamed into place when complete, removed on failure) or to stdout for `-`.
 * Refuses (EUSAGE) to write binary data to a terminal. A reader that closes
 * the pipe early (`| head`) ends the command quietly.
 */
export async function writeOutput(data: Readable, path: string, label: string): Promise<void> {
  const meter = new ProgressMeter(label);
  if (path === STDIO) {
    if (process.stdout.isTTY) {
      data.destroy();
      throw usageError('refusing to write a tar to a terminal: use -o FILE or a pipe');
    }
    try {
      await pipeline(data, meter, process.stdout as Writable, { end: false });
    } catch (err) {
      if (errnoOf(err) !== 'EPIPE') throw err;
    }
    return;
  }
  const temp = join(dirname(path), `.${basename(path)}.strata-${process.pid}.tmp`);
  try {
    await pipeline(data, meter, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err instanceof StrataError ? err : fileError(path, 'write', err);
  }
}
