/**
 * Variable expansion as Docker's Dockerfile shell lexer does it (moby/buildkit
 * `frontend/dockerfile/shell/lex.go`, the version Docker 20.10's classic builder uses).
 *
 * Rules, for a word and an environment:
 * - `$NAME` and `${NAME}` expand to the variable's value, '' when unset. A name is letters,
 *   digits and `_`; a leading digit reads digits only; one of `@*#?-$!0` is a name by itself.
 *   A `$` not followed by a name stays `$`.
 * - `${NAME:-word}` is word when NAME is unset or empty; `${NAME:+word}` is word when NAME is
 *   set and not empty. word is itself expanded (quotes, escapes, variables).
 * - Any other form fails with EBUILD: `${X-y}` (no colon) "missing ':' in substitution",
 *   `${X:?y}` "unsupported modifier (?) in substitution", no closing brace.
 * - The escape character (`\` or the `# escape=` one) makes the next character literal;
 *   at the end of the word it is dropped.
 * - '…' is literal; "…" expands variables and lets the escape character escape only `"`,
 *   `$` and itself. Quotes are removed. An unclosed quote fails with EBUILD.
 * - `expandWords` also splits on unquoted white space, including white space that comes
 *   from an unquoted variable's value.
 */
import { ErrorCode, StrataError } from '../errors.js';

/** Looks a variable up; undefined when unset. */
export type Lookup = (name: string) => string | undefined;

/** The expanded word, quotes removed, white space kept. Fails with EBUILD as above. */
export function expandWord(word: string, lookup: Lookup, escape = '\\'): string {
  return new ShellWord(word, lookup, escape).process().text;
}

/** The expanded word split into words on unquoted white space. Fails with EBUILD as above. */
export function expandWords(word: string, lookup: Lookup, escape = '\\'): string[] {
  return new ShellWord(word, lookup, escape).process().words;
}

/** A lookup over `KEY=VALUE` strings (the later of duplicates wins) or a map. */
export function lookupIn(env: readonly string[] | ReadonlyMap<string, string>): Lookup {
  if (!Array.isArray(env)) return (name) => (env as ReadonlyMap<string, string>).get(name);
  const map = new Map<string, string>();
  for (const kv of env as readonly string[]) {
    const i = kv.indexOf('=');
    if (i < 0) map.set(kv, ''); else map.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return (name) => map.get(name);
}

const SPECIAL = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const isSpace = (ch: string): boolean => /\s/u.test(ch);
const isDigit = (ch: string): boolean => /\p{Nd}/u.test(ch);
const isNameChar = (ch: string): boolean => /[\p{L}\p{Nd}_]/u.test(ch);

class Words {
  readonly list: string[] = [];
  #word = '';
  #inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.#inWord) { this.list.push(this.#word); this.#word = ''; this.#inWord = false; }
      return;
    }
    this.addRawChar(ch);
  }
  addRawChar(ch: string): void { this.#word += ch; this.#inWord = true; }
  addString(s: string): void { for (const ch of s) this.addChar(ch); }
  addRawString(s: string): void { for (const ch of s) this.addRawChar(ch); }
  done(): string[] { if (this.#inWord) this.list.push(this.#word); return this.list; }
}

class ShellWord {
  readonly #chars: string[];
  #pos = 0;
  constructor(readonly source: string, readonly lookup: Lookup, readonly escape: string) {
    this.#chars = [...source];
  }

  process(): { text: string; words: string[] } {
    const r = this.#until(undefined);
    return { text: r.text, words: r.words.done() };
  }

  #peek(): string | undefined { return this.#chars[this.#pos]; }
  #next(): string | undefined { return this.#chars[this.#pos++]; }
  #fail(message: string): never {
    throw new StrataError(ErrorCode.EBUILD, `failed to process "${this.source}": ${message}`);
  }

  #until(stop: string | undefined): { text: string; words: Words } {
    let text = '';
    const words = new Words();
    for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
      if (stop !== undefined && ch === stop) { this.#next(); return { text, words }; }
      if (ch === "'" || ch === '"' || ch === '$') {
        const part = ch === "'" ? this.#single() : ch === '"' ? this.#double() : this.#dollar();
        text += part;
        if (ch === '$') words.addString(part); else words.addRawString(part);
        continue;
      }
      let c = this.#next()!;
      if (c === this.escape) {
        const escaped = this.#next();
        if (escaped === undefined) break;
        c = escaped;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      text += c;
    }
    if (stop !== undefined) this.#fail(`syntax error: missing '${stop}'`);
    return { text, words };
  }

  #single(): string {
    this.#next();
    let text = '';
    for (;;) {
      const ch = this.#next();
      if (ch === undefined) this.#fail('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return text;
      text += ch;
    }
  }

  #double(): string {
    this.#next();
    let text = '';
    for (;;) {
      const ch = this.#peek();
      if (ch === undefined) this.#fail('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') { this.#next(); return text; }
      if (ch === '$') { text += this.#dollar(); continue; }
      let c = this.#next()!;
      if (c === this.escape) {
        const after = this.#peek();
        if (after === '"' || after === '$' || after === this.escape) c = this.#next()!;
      }
      text += c;
    }
  }

  #dollar(): string {
    this.#next();
    if (this.#peek() !== '{') {
      const name = this.#name();
      return name === '' ? '$' : this.lookup(name) ?? '';
    }
    this.#next();
    const name = this.#name();
    const ch = this.#peek();
    if (ch === '}') { this.#next(); return this.lookup(name) ?? ''; }
    if (ch !== ':') this.#fail("missing ':' in substitution");
    this.#next();
    const modifier = this.#next();
    const word = this.#until('}').text;
    const value = this.lookup(name) ?? '';
    if (modifier === '+') return value !== '' ? word : '';
    if (modifier === '-') return value === '' ? word : value;
    return this.#fail(`unsupported modifier (${modifier ?? ''}) in substitution`);
  }

  #name(): string {
    let name = '';
    for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.#peek() !== undefined && isDigit(this.#peek()!)) name += this.#next();
        return name;
      }
      if (name === '' && SPECIAL.has(ch)) return this.#next()!;
      if (!isNameChar(ch)) break;
      name += this.#next();
    }
    return name;
  }
}
