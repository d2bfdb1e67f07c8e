import { ErrorCode, StrataError } from '../core/engine.js';

/**
 * Docker's `--filter KEY=VALUE` lists: the values of one key are alternatives
 * (any may match), different keys must all match. Keys are checked against
 * the command's own; a bad one fails with EUSAGE in Docker's words.
 */
export type Filters = ReadonlyMap<string, readonly string[]>;

/** Parses repeated `--filter` values; `allowed` are the command's keys. */
export function parseFilters(values: readonly string[], allowed: readonly string[]): Filters {
  const filters = new Map<string, string[]>();
  for (const text of values) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new StrataError(ErrorCode.EUSAGE, `bad format of filter (expected name=value): ${text}`);
    const key = text.slice(0, eq).trim().toLowerCase();
    if (!allowed.includes(key)) throw new StrataError(ErrorCode.EUSAGE, `invalid filter '${key}'`);
    filters.set(key, [...(filters.get(key) ?? []), text.slice(eq + 1)]);
  }
  return filters;
}

/** Whether any value of `key` satisfies `test`; true when the key is not filtered on. */
export function anyValue(filters: Filters, key: string, test: (value: string) => boolean): boolean {
  const values = filters.get(key);
  return values === undefined || values.some(test);
}

/** The one value a key takes (`before`, `since`), or undefined; more than one fails with EUSAGE. */
export function singleValue(filters: Filters, key: string): string | undefined {
  const values = filters.get(key);
  if (values !== undefined && values.length > 1) throw new StrataError(ErrorCode.EUSAGE, `filter '${key}' takes one value`);
  return values?.[0];
}

/** `label=KEY` (present) or `label=KEY=VALUE` (equal) against `labels`; every label filter must hold. */
export function labelsMatch(filters: Filters, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  for (const wanted of filters.get('label') ?? []) {
    const eq = wanted.indexOf('=');
    const key = eq < 0 ? wanted : wanted.slice(0, eq);
    if (labels?.[key] === undefined) return false;
    if (eq >= 0 && labels[key] !== wanted.slice(eq + 1)) return false;
  }
  return true;
}

/**
 * Go's path.Match: `*` any run of characters but `/`, `?` one character but
 * `/`, `[…]` a class (`[^…]` or `[!…]` negated), `\` escapes. A malformed
 * pattern fails with EUSAGE.
 */
export function pathMatch(pattern: string, text: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new StrataError(ErrorCode.EUSAGE, `syntax error in pattern: ${pattern}`);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^') || body.startsWith('!');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^/' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'u').test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
