/**
 * The few Go formatting rules Docker's history strings and flags depend on:
 * strconv.Quote (`%q` of a string), `%q` of a []string, `%v` of a []string,
 * time.Duration's String and time.ParseDuration.
 */
import { parseGoDuration as parseDuration } from '../go-duration.js';

/** Go's strconv.Quote: printable characters as is, the rest as Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch) || ch === ' ') out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** Go's `%q` of an int: a quoted rune literal (`'\x02'`, `'A'`). */
export function goQuoteRune(n: number): string {
  const ch = String.fromCodePoint(n);
  if (ch === "'") return "'\\''";
  const q = goQuote(ch);
  return "'" + q.slice(1, -1).replace(/^\\"$/, '"') + "'";
}

/** `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return '[' + list.map(goQuote).join(' ') + ']';
}

/** `%v` of a []string: `[a b]`. */
export function goList(list: readonly string[]): string {
  return '[' + list.join(' ') + ']';
}

/** Go's time.ParseDuration in nanoseconds, or undefined when `s` is not a duration. */
export function parseGoDuration(s: string): number | undefined {
  try {
    return parseDuration(s);
  } catch {
    return undefined;
  }
}

/** Go's time.Duration String of `ns` nanoseconds: `5s`, `1m30s`, `1.5s`, `500ms`, `0s`. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  if (n < 1e9) {
    const [unit, size] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    return sign + trimFraction(n / size) + unit;
  }
  let out = '';
  const h = Math.floor(n / 3600e9); n -= h * 3600e9;
  const m = Math.floor(n / 60e9); n -= m * 60e9;
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  return sign + out + trimFraction(n / 1e9) + 's';
}

function trimFraction(x: number): string {
  return x.toFixed(9).replace(/\.?0+$/, '');
}
