import { ErrorCode, StrataError } from '../errors.js';
import type { Healthcheck } from './image-config.js';
import { parseGoDuration } from '../go-duration.js';
import { parseJsonArray } from './shell-words.js';

/**
 * The HEALTHCHECK instruction's arguments as moby reads them:
 *
 *     HEALTHCHECK NONE
 *     HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D] [--retries=N] CMD command
 *
 * D is a Go duration (`30s`, `1m30s`, `500ms`); a zero option is left out.
 * Failures are StrataError EINVALID with moby's messages.
 */

function invalid(message: string): StrataError {
  return new StrataError(ErrorCode.EINVALID, message);
}

const DURATION_FLAGS: Readonly<Record<string, keyof Healthcheck & string>> = {
  interval: 'Interval',
  timeout: 'Timeout',
  'start-period': 'StartPeriod',
  'start-interval': 'StartInterval',
};
const MIN_DURATION_NS = 1e6;

/** The Healthcheck a HEALTHCHECK instruction's argument text (after the keyword) sets. */
export function parseHealthcheck(args: string): Healthcheck {
  let rest = args.trimStart();
  const health: Record<string, unknown> = {};
  for (;;) {
    const m = /^--([A-Za-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (m === null) break;
    const [all, name, value = ''] = m as unknown as [string, string, string | undefined];
    rest = rest.slice(all.length);
    const field = DURATION_FLAGS[name];
    if (field !== undefined) {
      const ns = parseGoDuration(value);
      if (ns < 0) throw invalid(`Interval ${JSON.stringify(name)} cannot be negative`);
      if (ns !== 0 && ns < MIN_DURATION_NS) throw invalid(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
      if (ns !== 0) health[field] = ns;
    } else if (name === 'retries') {
      if (!/^-?[0-9]+$/.test(value)) throw invalid(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
      const retries = Number(value);
      if (retries < 0) throw invalid(`--retries cannot be negative (${retries})`);
      if (retries !== 0) health['Retries'] = retries;
    } else {
      throw invalid(`Unknown flag: ${name}`);
    }
  }
  const typeMatch = /^(\S+)\s*/.exec(rest);
  if (typeMatch === null) throw invalid('HEALTHCHECK requires an argument');
  const type = typeMatch[1]!.toUpperCase();
  const command = rest.slice(typeMatch[0].length);
  if (type === 'NONE') {
    if (command.trim() !== '' || Object.keys(health).length > 0) throw invalid('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (type !== 'CMD') throw invalid(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const exec = parseJsonArray(command);
  const test = exec !== undefined ? ['CMD', ...exec] : ['CMD-SHELL', command.trim()];
  return { Test: test, ...health };
}
