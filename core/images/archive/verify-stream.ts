import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../../errors.js';
import { isDigest, type Digest } from '../../ids.js';

/** What a blob must be: its size in bytes and, when known, its digest. */
export interface Expected {
  readonly size: number;
  readonly digest?: Digest;
  /** Names the blob in error messages (a file in the archive, or the digest). */
  readonly what: string;
}

/**
 * `input` passed through unchanged while counting and hashing it. The returned
 * stream fails, before it ends, with EBADARCHIVE ("truncated") when fewer than
 * `size` bytes arrived, and with ECORRUPT when more arrived or the sha256 is not
 * `digest`. So a consumer that reads to the end has verified the blob; one that
 * stops early has verified nothing. Errors of `input` pass through.
 */
export function verifyingStream(input: Readable, expected: Expected): Readable {
  const hash = createHash('sha256');
  let seen = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > expected.size) {
        callback(new StrataError(ErrorCode.ECORRUPT, `${expected.what}: more than the ${expected.size} bytes recorded`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (seen < expected.size) {
        callback(new StrataError(ErrorCode.EBADARCHIVE, `${expected.what}: truncated, ${seen} of ${expected.size} bytes`));
        return;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (expected.digest !== undefined && actual !== expected.digest) {
        callback(new StrataError(ErrorCode.ECORRUPT, `${expected.what}: content is ${actual}, not ${expected.digest}`));
        return;
      }
      callback();
    },
  });
  return pipeline(input, check, () => undefined);
}

/** Whether `value` (from untrusted JSON) is a well-formed sha256 digest. */
export function isDigestValue(value: unknown): value is Digest {
  return typeof value === 'string' && isDigest(value);
}
