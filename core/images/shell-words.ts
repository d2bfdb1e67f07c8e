import { ErrorCode, StrataError } from '../errors.js';

/**
 * The word rules of Dockerfile instruction arguments, as moby's parser and
 * shell lexer apply them: splitting a line into words (quotes and backslash
 * escapes kept), processing one word (quotes removed, escapes applied,
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alternative}` expanded from an
 * environment), and the JSON (exec) form. Failures are StrataError EINVALID
 * with moby's messages.
 */

/** `KEY=value` entries; the first entry of a name wins, as moby looks names up. */
export type EnvList = readonly string[];

/** The value of `name` in `env`, or undefined. */
export function lookupEnv(env: EnvList, name: string): string | undefined {
  for (const entry of env) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (key === name) return eq < 0 ? '' : entry.slice(eq + 1);
  }
  return undefined;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

/**
 * Splits on unquoted, unescaped whitespace; quotes and backslashes stay in the
 * words (they are removed by `processWord`). moby's parseWords.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let escaped = false;
  for (const ch of text) {
    if (escaped) {
      word += ch;
      escaped = false;
    } else if (ch === '\\') {
      word += ch;
      escaped = true;
    } else if (quote !== undefined) {
      word += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      word += ch;
      quote = ch;
    } else if (isSpace(ch)) {
      if (word !== '') words.push(word);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word !== '') words.push(word);
  return words;
}

const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * One word as the shell lexer processes it: quotes removed, escapes applied,
 * variables expanded from `env` (unset → empty). Fails with EINVALID
 * `failed to process "<word>": unexpected end of statement while looking for
 * matching double-quote` (or single-quote, or `}`).
 */
export function processWord(word: string, env: EnvList): string {
  const chars = [...word];
  let i = 0;
  const fail = (what: string): never => {
    throw new StrataError(ErrorCode.EINVALID, `failed to process ${JSON.stringify(word)}: ${what}`);
  };

  const variable = (): string => {
    // chars[i] is '$'
    i++;
    if (chars[i] === '{') {
      i++;
      let name = '';
      while (i < chars.length && NAME_CHAR.test(chars[i]!)) name += chars[i++];
      if (i >= chars.length) fail("missing '}'");
      if (chars[i] === '}') {
        i++;
        return lookupEnv(env, name) ?? '';
      }
      let op = chars[i++]!;
      if (op === ':') op += chars[i++] ?? '';
      if (!['-', '+', ':-', ':+', '?', ':?'].includes(op)) fail(`unsupported modifier (${op}) in substitution`);
      const alternative = inner('}');
      const value = lookupEnv(env, name);
      const set = op.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
      if (op.endsWith('-')) return set ? value! : alternative;
      if (op.endsWith('+')) return set ? alternative : '';
      if (!set) fail(`${name}: ${alternative || 'is not allowed to be unset'}`);
      return value!;
    }
    let name = '';
    while (i < chars.length && NAME_CHAR.test(chars[i]!)) name += chars[i++];
    if (name === '') return '$';
    return lookupEnv(env, name) ?? '';
  };

  /** Reads up to the unescaped `stop` (consumed), or to the end when stop is undefined. */
  const inner = (stop?: string): string => {
    let out = '';
    while (i < chars.length) {
      const ch = chars[i]!;
      if (stop !== undefined && ch === stop) {
        i++;
        return out;
      }
      if (ch === '\\') {
        i++;
        if (i < chars.length) out += chars[i++];
        else out += '\\';
      } else if (ch === "'") {
        i++;
        const end = chars.indexOf("'", i);
        if (end < 0) fail('unexpected end of statement while looking for matching single-quote');
        out += chars.slice(i, end).join('');
        i = end + 1;
      } else if (ch === '"') {
        i++;
        out += doubleQuoted();
      } else if (ch === '$') {
        out += variable();
      } else {
        out += ch;
        i++;
      }
    }
    if (stop !== undefined) fail(`missing '${stop}'`);
    return out;
  };

  const doubleQuoted = (): string => {
    let out = '';
    while (i < chars.length) {
      const ch = chars[i]!;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\' && i + 1 < chars.length && ['"', '\\', '$'].includes(chars[i + 1]!)) {
        out += chars[i + 1];
        i += 2;
      } else if (ch === '$') {
        out += variable();
      } else {
        out += ch;
        i++;
      }
    }
    return fail('unexpected end of statement while looking for matching double-quote');
  };

  return inner();
}

/**
 * The exec (JSON) form: when `text` starts with '[' and its first JSON value is
 * an array, that array (anything after it is ignored, as moby's decoder does);
 * otherwise undefined (the caller uses the shell form). Fails with EINVALID
 * `when using JSON array syntax, arrays must be comprised of strings only`.
 */
export function parseJsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  const end = endOfJsonValue(text);
  if (end === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) {
    throw new StrataError(ErrorCode.EINVALID, 'when using JSON array syntax, arrays must be comprised of strings only');
  }
  return value as string[];
}

/** The index just past the bracketed value that starts `text`, or undefined when it never closes. */
function endOfJsonValue(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}
