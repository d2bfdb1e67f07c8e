/**
 * How Docker's Dockerfile parser splits an instruction's arguments before any expansion
 * (moby/buildkit `frontend/dockerfile/parser/line_parsers.go`), written from its rules.
 */

/**
 * The exec form of `text` when it is a JSON array of strings, else undefined (Docker then
 * takes the text as shell form: invalid JSON is never an error). Strings keep every space.
 */
export function parseJsonArray(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return undefined;
  let value: unknown;
  try { value = JSON.parse(trimmed); } catch { return undefined; }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return undefined;
  return value as string[];
}

/**
 * Splits on white space outside quotes; quotes and escapes stay in the words (the
 * expansion removes them). An escape character keeps the next character in the word;
 * at the end of the text it is dropped. Inside '…' the escape character is literal.
 */
export function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  const chars = [...text];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  let blankOk = false;
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]!;
    if (!inWord) {
      if (/\s/u.test(ch)) continue;
      inWord = true;
    }
    if (quote === undefined) {
      if (/\s/u.test(ch)) {
        if (blankOk || word !== '') words.push(word);
        word = ''; blankOk = false; inWord = false;
        continue;
      }
      if (ch === "'" || ch === '"') { quote = ch; blankOk = true; }
      if (ch === escape) {
        if (i + 1 === chars.length) continue;
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = undefined;
    else if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) { quote = undefined; continue; }
      word += ch;
      ch = chars[++i]!;
    }
    word += ch;
  }
  if (inWord && (blankOk || word !== '')) words.push(word);
  return words;
}

/**
 * ENV/LABEL arguments as key/value pairs, values still quoted. `K=V K2=V2` form, or the
 * legacy `K the rest` form when the first word has no `=` (the rest kept as written).
 * Returns an error message instead when the text fits neither form.
 */
export function parseKeyValues(text: string, keyword: string, escape: string): { key: string; value: string }[] | string {
  const words = splitWords(text, escape);
  if (words.length === 0) return `${keyword} requires at least one argument`;
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]+)$/u.exec(text.trim());
    if (!m) return `${keyword} must have two arguments`;
    return [{ key: m[1]!, value: m[2]! }];
  }
  const pairs: { key: string; value: string }[] = [];
  for (const word of words) {
    const i = word.indexOf('=');
    if (i < 0) return `Syntax error - can't find = in "${word}". Must be of the form: name=value`;
    if (i === 0) return `${keyword} names can not be blank`;
    pairs.push({ key: word.slice(0, i), value: word.slice(i + 1) });
  }
  return pairs;
}

/**
 * Leading `--name[=value]` flags (value undefined for a bare `--name`) and the text after
 * them. A bare `--` ends the flags.
 */
export function extractFlags(text: string): { flags: [string, string | undefined][]; rest: string } {
  const flags: [string, string | undefined][] = [];
  let rest = text.replace(/^\s+/u, '');
  for (;;) {
    const m = /^--(\S*)(\s+|$)/u.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    if (m[1] === '') break;
    const i = m[1]!.indexOf('=');
    flags.push(i < 0 ? [m[1]!, undefined] : [m[1]!.slice(0, i), m[1]!.slice(i + 1)]);
  }
  return { flags, rest };
}
