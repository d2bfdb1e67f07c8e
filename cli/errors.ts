import { CommanderError } from 'commander';
import { ErrorCode, StrataError, errnoOf } from '../core/errors.js';
import { exitStatusOf } from './exit-status.js';

/** Exit status of a command-line usage error (commander's own errors included). */
export const USAGE_STATUS = exitStatusOf(ErrorCode.EUSAGE);

/** A usage error raised by the CLI itself (a bad combination of arguments). */
export function usageError(message: string): StrataError {
  return new StrataError(ErrorCode.EUSAGE, message);
}

/** The first line of a message, without commander's `error: ` prefix. */
function oneLine(message: string): string {
  const first = message.split('\n').find((line) => line.trim() !== '') ?? message;
  return first.replace(/^error: /, '').trim();
}

/**
 * Reports a failure on stderr as exactly one line, `strata: <message>` (plus the
 * stack and cause chain when `debug`), and returns the exit status:
 * `exitStatusOf(code)` for a StrataError, USAGE_STATUS for commander's usage
 * errors (0 for help and version, which commander already printed), 1 otherwise.
 */
export function reportError(err: unknown, debug: boolean, write: (text: string) => void): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0;
    // commander printed the help text itself for a bare group; nothing more to say.
    if (err.code !== 'commander.help') write(`strata: ${oneLine(err.message)}\n`);
    return USAGE_STATUS;
  }
  if (err instanceof StrataError) {
    write(`strata: ${oneLine(err.message)}\n`);
    if (debug) write(detail(err));
    return exitStatusOf(err.code);
  }
  const errno = errnoOf(err);
  const message = err instanceof Error ? err.message : String(err);
  write(`strata: ${oneLine(message)}${errno && !message.includes(errno) ? ` (${errno})` : ''}\n`);
  if (debug) write(detail(err));
  return 1;
}

/** The stack and every cause below it, for --debug. */
function detail(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\ncaused by: ') + '\n';
}
