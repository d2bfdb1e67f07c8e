import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode, StrataError } from '../errors.js';

/** The parts of an HTTP answer an error message uses. */
export interface RegistryAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** One entry of a registry's `{"errors":[{code,message,detail}]}` body. */
interface RegistryErrorEntry {
  code?: unknown;
  message?: unknown;
}

/** `CODE: message; CODE2: message2` from a registry error body, or the trimmed text, or ''. */
export function describeRegistryBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: RegistryErrorEntry[] };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors
        .map((e) => [typeof e.code === 'string' ? e.code : '', typeof e.message === 'string' ? e.message : ''].filter(Boolean).join(': '))
        .join('; ');
    }
  } catch {
    // not JSON: fall through to the text
  }
  return oneLine(body).slice(0, 200);
}

/** The registry's error codes in a body (`MANIFEST_UNKNOWN`, ...). */
export function registryErrorCodes(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: RegistryErrorEntry[] };
    return Array.isArray(parsed.errors) ? parsed.errors.map((e) => String(e.code)) : [];
  } catch {
    return [];
  }
}

/**
 * The StrataError for an unexpected registry answer. `subject` names the
 * reference (or blob) being worked on; the message is one line:
 * `<subject>: <what>: HTTP <status>: <registry's errors[].code: message>` (for a
 * body-less answer, the `error` of its WWW-Authenticate challenge).
 * 401/403 map to EAUTH, MANIFEST_UNKNOWN / NAME_UNKNOWN (and 404 on a manifest) to
 * ENOIMAGE, everything else to EREGISTRY.
 */
export function registryError(subject: string, what: string, res: RegistryAnswer, body: string, manifest = false): StrataError {
  const { status } = res;
  const said = describeRegistryBody(body) || challengeError(res.headers['www-authenticate']);
  const codes = registryErrorCodes(body);
  const message = `${subject}: ${what}: HTTP ${status}${said ? `: ${said}` : ''}`;
  if (status === 401 || status === 403) return new StrataError(ErrorCode.EAUTH, message);
  if (codes.includes('MANIFEST_UNKNOWN') || codes.includes('NAME_UNKNOWN') || (manifest && status === 404)) {
    return new StrataError(ErrorCode.ENOIMAGE, message);
  }
  return new StrataError(ErrorCode.EREGISTRY, message);
}

/** `insufficient_scope: …` from a challenge's `error`/`error_description`, for answers without a body (HEAD). */
function challengeError(challenge: string | string[] | undefined): string {
  const text = Array.isArray(challenge) ? challenge.join(', ') : (challenge ?? '');
  const error = /error="([^"]*)"/.exec(text)?.[1];
  return error === undefined ? (text && status401Hint(text)) : error;
}

function status401Hint(text: string): string {
  return /^bearer/i.test(text) ? 'the token does not grant access' : /^basic/i.test(text) ? 'credentials required' : '';
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
