/**
 * Rules for `ADD <url>` that need no network (the fetch itself belongs to the executor):
 * - the file name is the URL path's last segment; with a destination ending in `/` the
 *   file goes there under that name, else the destination is the file's path; a URL with
 *   no usable last segment fails when the destination is a directory;
 * - the file's mtime is the response's Last-Modified when it parses as an HTTP date
 *   (RFC 1123, RFC 850 or asctime, as Go's http.ParseTime), else the epoch (0) — not the
 *   download time (corpus add-url);
 * - the file's mode is 0600 and owner 0:0 (Docker writes it to a temporary file first);
 *   it is never extracted, even when it is a tar;
 * - created_by carries `urlSourceHash`: the tarsum entry hash of the downloaded file
 *   (named by its file name, mode 0600, owner root) with no `file:` prefix.
 */
import { posix } from 'node:path';
import { ErrorCode, StrataError } from '../../errors.js';
import { entryHash } from './source-hash.js';

export const URL_FILE_MODE = 0o600;

/** Where the file of `url` goes for destination `dest` (already made absolute). */
export function urlDestination(url: string, dest: string): string {
  if (!dest.endsWith('/')) return dest;
  let name = '';
  try { name = posix.basename(new URL(url).pathname); } catch { name = ''; }
  if (name === '' || name === '/' || name === '.') {
    throw new StrataError(ErrorCode.EBUILD, `cannot determine filename from url: ${url}`);
  }
  return posix.join(dest, decodeURIComponent(name));
}

const HTTP_DATE = [
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/** The mtime a downloaded file gets: Last-Modified when valid, else the epoch. */
export function mtimeFromLastModified(lastModified: string | null | undefined): Date {
  const now = new Date(0);
  if (!lastModified) return now;
  const value = lastModified.trim();
  if (!HTTP_DATE.some((re) => re.test(value))) return now;
  let text = value;
  if (HTTP_DATE[1]!.test(value)) {
    const [, d, mon, yy, rest] = /^\w+, (\d{2})-(\w{3})-(\d{2}) (.*)$/.exec(value)!;
    text = `${d} ${mon} ${Number(yy) >= 69 ? 19 : 20}${yy} ${rest}`;
  } else if (HTTP_DATE[2]!.test(value)) {
    text = value + ' GMT';
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? now : new Date(ms);
}

/** The hash ADD <url>'s created_by shows for a downloaded file (`fileName` as urlDestination's). */
export function urlSourceHash(fileName: string, size: number, content: () => AsyncIterable<Uint8Array>): Promise<string> {
  return entryHash({ name: posix.basename(fileName), type: 'file', mode: URL_FILE_MODE, uid: 0, gid: 0, uname: 'root', gname: 'root', size, content });
}
