import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/**
 * A mount's log, `<home>/mounts/<id>.log`: the mount process's stderr (its
 * own failures: `strata fuse: ...` lines, stacks) and the life-cycle notes
 * that the mount process and every supervisor acting on it append — one line
 * each, `[<ISO time>] pid <pid>: <what>`, so that a mount that died leaves who
 * ended it and how (exit status, signal, stale mount found) behind. Every
 * mount of the layer appends to the same log (appends of one line are atomic,
 * O_APPEND); a log past LOG_KEEP_BYTES is started afresh at the next mount.
 */

/** Size past which the next mount truncates the log, in bytes. */
const LOG_KEEP_BYTES = 256 * 1024;

/** One life-cycle note: `[<ISO time>] pid <this pid>: <text>` and a newline. */
export function noteLine(text: string): string {
  return `[${new Date().toISOString()}] pid ${process.pid}: ${text}\n`;
}

/** Is this log line a life-cycle note (rather than the mount process's own output)? */
export function isNote(line: string): boolean {
  return /^\[\d{4}-\d\d-\d\dT[^\]]*\] pid \d+: /.test(line);
}

/**
 * Appends a note to the log at file, which the mount's start made: a missing
 * log is not made again (a note can come late — a mount process's exit is
 * seen when it is reaped — and must not put a file back into a home being
 * removed). A log that cannot be written is no error: notes are diagnostics.
 */
export function appendNote(file: string, text: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND);
    writeSync(fd, noteLine(text));
  } catch {
    // no log (a removed home, a mount started before logs were kept): nobody will read it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Opens the log at file for a new mount process to append to (truncated
 * first when past LOG_KEEP_BYTES), and answers its size before this mount:
 * where this mount's own lines start.
 */
export async function openForMount(file: string): Promise<{ log: FileHandle; from: number }> {
  const size = await stat(file).then((s) => s.size, () => 0);
  const fresh = size > LOG_KEEP_BYTES;
  return { log: await open(file, fresh ? 'w' : 'a', 0o600), from: fresh ? 0 : size };
}

/** The log's lines from byte `from` on ('' where there is no log). */
export async function logSince(file: string, from: number): Promise<string> {
  const text = await readFile(file).catch(() => Buffer.alloc(0));
  return text.subarray(Math.min(from, text.length)).toString('utf8');
}

/**
 * The line of a mount process's log that says why it failed: its own
 * message, or the error Node printed, or else its last line; notes are
 * skipped unless nothing else is there.
 */
export function reasonIn(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => !isNote(l));
  return own.find((l) => l.startsWith('strata fuse:') || /^\w*Error\b/.test(l)) ?? own.at(-1) ?? lines.at(-1)?.replace(/^\[[^\]]*\] /, '') ?? '';
}
