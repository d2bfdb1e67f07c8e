import * as z from 'zod/mini';
import '../zod.js';
import { ErrorCode, StrataError } from '../errors.js';

/**
 * Untrusted JSON documents (manifests, indexes, configs, archive manifests):
 * size-limited, parsed, validated by a schema, every failure one line.
 *
 * The error code is the caller's: a `load` passes EBADARCHIVE, a pull
 * EREGISTRY, a store reading its own blobs nothing (ECORRUPT, the default).
 * Messages start with `what` (a file name, a digest): `manifest.json: [0].Layers:
 * expected array`.
 */
export interface DocumentSource {
  /** Names the document in messages: `manifest.json`, `config sha256:ab…`. */
  readonly what: string;
  /** The StrataError code of every failure; ECORRUPT when omitted. */
  readonly code?: ErrorCode;
}

/** Manifests, indexes and configs larger than this are refused (as containerd and Docker limit them). */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** One line naming the first problem zod found: `layers[2].digest: expected string`. */
function describeIssue(error: { readonly issues: readonly z.core.$ZodIssue[] }): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
  const message = issue.message.replace(/^Invalid input: /, '').replace(/\s+/g, ' ');
  return path === '' ? message : `${path}: ${message}`;
}

/** Fails with `source.code` (ECORRUPT by default) and a message starting with `source.what`. */
export function documentError(source: DocumentSource, problem: string, cause?: unknown): StrataError {
  return new StrataError(source.code ?? ErrorCode.ECORRUPT, `${source.what}: ${problem}`, cause === undefined ? undefined : { cause });
}

/**
 * Parses `bytes` as JSON (UTF-8, at most `maxBytes`). Fails with a one-line
 * StrataError (see `DocumentSource`) when the document is too large or is not JSON.
 */
export function readJsonDocument(bytes: Uint8Array | string, source: DocumentSource, maxBytes: number = MAX_DOCUMENT_BYTES): unknown {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > maxBytes) throw documentError(source, `${size} bytes is over the ${maxBytes}-byte limit`);
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw documentError(source, `not JSON (${(err as Error).message.split('\n')[0]})`, err);
  }
}

/** Validates an already parsed document with `schema`; fails as `readJsonDocument` does. */
export function validateDocument<T extends z.ZodMiniType>(value: unknown, schema: T, source: DocumentSource): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw documentError(source, describeIssue(result.error));
  return result.data;
}

/** `readJsonDocument` then `validateDocument`. */
export function parseJsonDocument<T extends z.ZodMiniType>(
  bytes: Uint8Array | string,
  schema: T,
  source: DocumentSource,
  maxBytes: number = MAX_DOCUMENT_BYTES,
): z.output<T> {
  return validateDocument(readJsonDocument(bytes, source, maxBytes), schema, source);
}

/** A string schema that accepts what `check` accepts (`check` throws to refuse), failing with `message`. */
export function checkedString(check: (text: string) => unknown, message: string): z.ZodMiniType<string> {
  return z.string().check(z.refine(
    (text) => {
      try {
        check(text);
        return true;
      } catch {
        return false;
      }
    },
    { message },
  ));
}

