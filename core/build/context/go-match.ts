/**
 * Go's `path/filepath.Match` on `/`-separated paths, which Docker uses for COPY/ADD
 * wildcards: `*` is any run of characters but `/`, `?` one character but `/`, `[…]` a
 * class (`[^…]` negated, `a-z` ranges), `\` escapes the next character. A malformed
 * pattern matches nothing (Go returns ErrBadPattern, which Docker treats as no match).
 */

/** Whether `pattern` contains a wildcard character Docker recognises (`*`, `?`, `[`). */
export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

export function goMatch(pattern: string, name: string): boolean {
  try { return new RegExp(`^${toRegExp(pattern)}$`, 'su').test(name); } catch { return false; }
}

function toRegExp(pattern: string): string {
  let out = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= chars.length) throw new Error('bad pattern');
      out += escapeRe(chars[++i]!);
    } else if (ch === '[') {
      let j = i + 1;
      let cls = '';
      if (chars[j] === '^') { cls += '^'; j++; }
      let first = true;
      for (; j < chars.length && (first || chars[j] !== ']'); j++) {
        first = false;
        let c = chars[j]!;
        if (c === '\\') { c = chars[++j] ?? ''; if (c === '') throw new Error('bad pattern'); }
        if (c === '/') throw new Error('bad pattern');
        cls += escapeRe(c);
        if (chars[j + 1] === '-' && chars[j + 2] !== undefined && chars[j + 2] !== ']') {
          let hi = chars[j + 2]!;
          j += 2;
          if (hi === '\\') { hi = chars[++j] ?? ''; if (hi === '') throw new Error('bad pattern'); }
          if (hi < c) throw new Error('bad pattern');
          cls += '-' + escapeRe(hi);
        }
      }
      if (j >= chars.length) throw new Error('bad pattern');
      out += `(?!/)[${cls}]`;
      i = j;
    } else out += escapeRe(ch);
  }
  return out;
}

function escapeRe(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
