/**
 * The lexer of the Go text/template subset (cli/format/go-template.ts): text,
 * `{{ }}` actions with trim markers (`{{- ` and ` -}}` remove the white space
 * next to them) and comments (`{{/* … *\/}}`), and inside an action the tokens
 * Go's lexer makes. Fails with GoTemplateError (kind 'parse') as Go words it:
 * `template: :1: unclosed action`.
 */
import { GoTemplateError } from './go-template-error.js';

export type ItemType =
  | 'text' | 'left' | 'right' | 'space' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma'
  | 'string' | 'char' | 'number' | 'bool' | 'nil' | 'field' | 'variable' | 'identifier' | 'dot' | 'keyword' | 'eof';

export interface Item {
  readonly type: ItemType;
  /** The token's text (for 'string': the decoded value). */
  readonly val: string;
  /** Byte offset in the template (code units). */
  readonly pos: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);
const SPACE = /[ \t\r\n]/;
const ALNUM = /[\p{L}\p{N}_]/u;

/** The line (1-based) of offset `pos` in `text`. */
export function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

function parseError(text: string, pos: number, message: string): GoTemplateError {
  return new GoTemplateError('parse', `template: :${lineOf(text, pos)}: ${message}`);
}

/** Go's string literal escapes (`\n`, `\t`, `\"`, `\\`, `\x41`, `\u00e9`, …). */
function unquote(text: string, raw: string, pos: number): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, e: string) => {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
    if (e in simple) return simple[e]!;
    if (/^[xuU]/.test(e)) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    throw parseError(text, pos, `unquote: invalid syntax`);
  });
}

/** Splits `text` into items; the last is 'eof'. */
export function lex(text: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const end = open === -1 ? text.length : open;
    let chunk = text.slice(i, end);
    if (trimNext) chunk = chunk.replace(/^[ \t\r\n]+/, '');
    const trimBefore = open !== -1 && text[open + 2] === '-' && SPACE.test(text[open + 3] ?? '');
    if (trimBefore) chunk = chunk.replace(/[ \t\r\n]+$/, '');
    if (chunk !== '') items.push({ type: 'text', val: chunk, pos: i });
    if (open === -1) break;
    i = lexAction(text, open, trimBefore, items, (trim) => (trimNext = trim));
  }
  items.push({ type: 'eof', val: '', pos: text.length });
  return items;
}

/** Lexes one action starting at `open` (its `{{`); returns the offset after its `}}`. */
function lexAction(text: string, open: number, trimmed: boolean, items: Item[], setTrimNext: (trim: boolean) => void): number {
  let i = open + 2 + (trimmed ? 2 : 0);
  const closeAt = (at: number): number | undefined => {
    if (text.startsWith('}}', at)) return 0;
    if (SPACE.test(text[at] ?? '') && text.startsWith('-}}', at + 1)) return 1;
    return undefined;
  };
  // A comment fills the whole action.
  if (text.startsWith('/*', i)) {
    const close = text.indexOf('*/', i + 2);
    if (close === -1) throw parseError(text, open, 'unclosed comment');
    let j = close + 2;
    const trim = SPACE.test(text[j] ?? '') && text.startsWith('-}}', j + 1);
    if (trim) j += 1;
    if (!text.startsWith(trim ? '-}}' : '}}', j)) throw parseError(text, open, 'comment ends before closing delimiter');
    setTrimNext(trim);
    return j + (trim ? 3 : 2);
  }
  items.push({ type: 'left', val: '{{', pos: open });
  let parens = 0;
  for (;;) {
    if (i >= text.length) throw parseError(text, open, 'unclosed action');
    const close = closeAt(i);
    if (close !== undefined && parens === 0) {
      if (close === 1) i += 1;
      items.push({ type: 'right', val: '}}', pos: i });
      setTrimNext(close === 1);
      return i + (close === 1 ? 3 : 2);
    }
    const c = text[i]!;
    const start = i;
    const push = (type: ItemType, val: string) => items.push({ type, val, pos: start });
    if (SPACE.test(c)) {
      // Stops before the space of a ` -}}` (the loop's top closes the action there),
      // unless a parenthesis is open: then the space is taken, and the `-` fails below.
      while (i < text.length && SPACE.test(text[i]!) && (closeAt(i) !== 1 || i === start)) i++;
      push('space', text.slice(start, i));
    } else if (c === '|') {
      i++;
      push('pipe', '|');
    } else if (c === '(') {
      i++;
      parens++;
      push('lparen', '(');
    } else if (c === ')') {
      i++;
      parens--;
      if (parens < 0) throw parseError(text, start, 'unexpected right paren');
      push('rparen', ')');
    } else if (c === ':' && text[i + 1] === '=') {
      i += 2;
      push('declare', ':=');
    } else if (c === '=') {
      i++;
      push('assign', '=');
    } else if (c === ',') {
      i++;
      push('comma', ',');
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i++;
        if (text[i] === '\n' || i >= text.length) throw parseError(text, start, 'unterminated quoted string');
        i++;
      }
      if (i >= text.length) throw parseError(text, start, 'unterminated quoted string');
      i++;
      push('string', unquote(text, text.slice(start + 1, i - 1), start));
    } else if (c === '`') {
      const closeQuote = text.indexOf('`', i + 1);
      if (closeQuote === -1) throw parseError(text, start, 'unterminated raw quoted string');
      i = closeQuote + 1;
      push('string', text.slice(start + 1, closeQuote));
    } else if (c === "'") {
      const m = /^'(\\.[^']*|[^'\\])'/u.exec(text.slice(i));
      if (m === null) throw parseError(text, start, 'unterminated character constant');
      i += m[0].length;
      push('char', String(unquote(text, m[1]!, start).codePointAt(0)));
    } else if (/[0-9]/.test(c) || ((c === '-' || c === '+' || c === '.') && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^[-+]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9_]*\.?[0-9_]*([eE][-+]?[0-9_]+)?)/.exec(text.slice(i))!;
      i += m[0].length;
      if (ALNUM.test(text[i] ?? '')) throw parseError(text, start, `bad number syntax: "${text.slice(start, i + 1)}"`);
      push('number', m[0]);
    } else if (c === '.') {
      i++;
      if (ALNUM.test(text[i] ?? '')) {
        while (i < text.length && ALNUM.test(text[i]!)) i++;
        push('field', text.slice(start, i));
      } else push('dot', '.');
    } else if (c === '$') {
      i++;
      while (i < text.length && ALNUM.test(text[i]!)) i++;
      push('variable', text.slice(start, i));
    } else if (ALNUM.test(c)) {
      while (i < text.length && ALNUM.test(text[i]!)) i++;
      const word = text.slice(start, i);
      push(word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : KEYWORDS.has(word) ? 'keyword' : 'identifier', word);
    } else {
      throw parseError(text, start, `unexpected ${JSON.stringify(c)} in command`);
    }
  }
}
