import { SHORT_ID_LENGTH } from '../output.js';

/**
 * Ids and long texts in Docker's tables.
 */

/**
 * Docker's TruncateID: the algorithm prefix (`sha256:`) dropped, then the first
 * 12 characters (`eccb0321b80a`).
 */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const bare = colon < 0 ? id : id.slice(colon + 1);
  return bare.slice(0, SHORT_ID_LENGTH);
}

/**
 * An IMAGE ID cell: 12 hex, or with `--no-trunc` the id as given (`docker
 * images --no-trunc` and `history --no-trunc` show `sha256:<64 hex>`).
 */
export function imageIdCell(id: string, noTrunc: boolean): string {
  return noTrunc ? id : truncateId(id);
}

/**
 * Docker's Ellipsis: `text` unchanged when it has at most `max` characters,
 * otherwise its first `max - 1` characters and '…' (`docker history` CREATED BY
 * uses 45, `docker ps` COMMAND 20 before quoting). Counts code points.
 */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 0) return '';
  return chars.slice(0, max - 1).join('') + '…';
}
