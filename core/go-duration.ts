import { ErrorCode, StrataError } from './errors.js';

/** Nanoseconds per unit of a Go duration. */
const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. Fails with EINVALID `time: invalid duration "x"`. */
export function parseGoDuration(text: string): number {
  const bad = () => new StrataError(ErrorCode.EINVALID, `time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)([a-z\u00b5\u03bc]+)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (m === null || m[1] === '' || m[1] === '.') throw bad();
    const unit = UNIT_NS[m[2]!];
    if (unit === undefined) throw new StrataError(ErrorCode.EINVALID, `time: unknown unit ${JSON.stringify(m[2])} in duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

