/**
 * The functions a template may call: Go's built-ins (`and or not len index
 * print printf println eq ne lt le gt ge`; `and` and `or` are evaluated by the
 * executor, lazily) and Docker's (`json split join title lower upper pad
 * truncate`, docker/cli templates/templates.go; `join` takes a []string, as in
 * Docker 20.10 and the installed 28.2 client), plus `HEADER_FUNCTIONS`, the
 * replacements Docker uses when it renders a table's header row (they return
 * the column title unchanged).
 *
 * A function fails with FuncError: its message is Go's (`wrong type for value;
 * expected string; got int`), and `calling` says whether Go words it as
 * `error calling NAME: …` (the function's own error) or not (an argument that
 * does not fit).
 */
import { goSprintf } from './go-printf.js';
import { NO_VALUE, formatGoValue, goJSON, goTruth, goTypeName, isPlainObject } from './go-value.js';

export class FuncError extends Error {
  constructor(
    message: string,
    readonly calling: boolean,
    /** The argument that does not fit (its index), when Go names it rather than the call. */
    readonly arg = -1,
  ) {
    super(message);
  }
}

export type GoFunction = (args: readonly unknown[]) => unknown;

function arity(name: string, args: readonly unknown[], want: number): void {
  if (args.length !== want) throw new FuncError(`wrong number of args for ${name}: want ${want} got ${args.length}`, false);
}

/** Argument `arg` of `args`, which Go declares a string. */
function str(args: readonly unknown[], arg: number): string {
  const value = args[arg];
  if (typeof value !== 'string') throw new FuncError(`wrong type for value; expected string; got ${goTypeName(value)}`, false, arg);
  return value;
}

/** Argument `arg` of `args`, which Go declares an int. */
function int(args: readonly unknown[], arg: number): number {
  const value = args[arg];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new FuncError(`wrong type for value; expected int; got ${goTypeName(value)}`, false, arg);
  return value;
}

function isSeparator(c: string): boolean {
  return !/[\p{L}\p{N}_]/u.test(c);
}

/** strings.Title: the first letter of every word upper-cased. */
function title(text: string): string {
  let previous = ' ';
  let out = '';
  for (const c of text) {
    out += isSeparator(previous) ? c.toUpperCase() : c;
    previous = c;
  }
  return out;
}

type Kind = 'bool' | 'number' | 'string' | 'nil' | 'other';

function kindOf(value: unknown): Kind {
  if (value === null || value === undefined || value === NO_VALUE) return 'nil';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  return 'other';
}

function equal(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'other' || kb === 'other') {
    if (ka === 'nil' || kb === 'nil') return false;
    throw new FuncError(`error calling eq: non-comparable type ${formatGoValue(ka === 'other' ? a : b)}: ${goTypeName(ka === 'other' ? a : b)}`, false);
  }
  if (ka !== kb) {
    if (ka === 'nil' || kb === 'nil') return false;
    throw new FuncError('error calling eq: incompatible types for comparison', false);
  }
  return ka === 'nil' || a === b;
}

function compare(name: string, a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if ((ka !== 'number' && ka !== 'string') || (kb !== 'number' && kb !== 'string')) throw new FuncError(`error calling ${name}: invalid type for comparison`, false);
  if (ka !== kb) throw new FuncError(`error calling ${name}: incompatible types for comparison`, false);
  return (a as number | string) < (b as number | string) ? -1 : a === b ? 0 : 1;
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value)) return value.length;
  if (value instanceof Map) return value.size;
  if (isPlainObject(value)) return Object.keys(value).length;
  throw new FuncError(`error calling len: len of type ${goTypeName(value)}`, true);
}

function indexOne(value: unknown, key: unknown): unknown {
  if (Array.isArray(value) || typeof value === 'string') {
    const i = int([key], 0);
    const length = Array.isArray(value) ? value.length : value.length;
    if (i < 0 || i >= length) throw new FuncError(`error calling index: index out of range: ${i}`, true);
    return Array.isArray(value) ? value[i] : value.charCodeAt(i);
  }
  if (value instanceof Map) return value.has(str([key], 0)) ? value.get(key as string) : '';
  if (isPlainObject(value)) return Object.prototype.hasOwnProperty.call(value, str([key], 0)) ? value[key as string] : NO_VALUE;
  if (value === null || value === undefined || value === NO_VALUE) throw new FuncError('error calling index: index of untyped nil', true);
  throw new FuncError(`error calling index: can't index item of type ${goTypeName(value)}`, true);
}

/** fmt.Sprint: a space between two operands when neither is a string. */
function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatGoValue(a);
  });
  return out;
}

export const FUNCTIONS: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>([
  // and, or: evaluated lazily by the executor; listed so that the parser knows them.
  ['and', () => undefined],
  ['or', () => undefined],
  ['not', (a) => (arity('not', a, 1), !goTruth(a[0]))],
  ['len', (a) => (arity('len', a, 1), lengthOf(a[0]))],
  ['index', (a) => {
    if (a.length === 0) throw new FuncError('wrong number of args for index: want at least 1 got 0', false);
    return a.slice(1).reduce((value, key) => indexOne(value, key), a[0]);
  }],
  ['print', (a) => sprint(a)],
  ['println', (a) => a.map(formatGoValue).join(' ') + '\n'],
  ['printf', (a) => {
    if (a.length === 0) throw new FuncError('wrong number of args for printf: want at least 1 got 0', false);
    return goSprintf(str(a, 0), a.slice(1));
  }],
  ['eq', (a) => {
    if (a.length < 2) throw new FuncError('error calling eq: missing argument for comparison', false);
    return a.slice(1).some((b) => equal(a[0], b));
  }],
  ['ne', (a) => (arity('ne', a, 2), !equal(a[0], a[1]))],
  ['lt', (a) => (arity('lt', a, 2), compare('lt', a[0], a[1]) < 0)],
  ['le', (a) => (arity('le', a, 2), compare('le', a[0], a[1]) <= 0)],
  ['gt', (a) => (arity('gt', a, 2), compare('gt', a[0], a[1]) > 0)],
  ['ge', (a) => (arity('ge', a, 2), compare('ge', a[0], a[1]) >= 0)],
  // Docker's
  ['json', (a) => (arity('json', a, 1), goJSON(a[0] === NO_VALUE ? null : a[0]))],
  ['split', (a) => {
    arity('split', a, 2);
    const [text, sep] = [str(a, 0), str(a, 1)];
    return sep === '' ? [...text] : text.split(sep);
  }],
  ['join', (a) => {
    arity('join', a, 2);
    const sep = str(a, 1);
    if (a[0] === null || a[0] === undefined) return '';
    if (!Array.isArray(a[0]) || !a[0].every((e) => typeof e === 'string')) throw new FuncError(`wrong type for value; expected []string; got ${goTypeName(a[0])}`, false, 0);
    return a[0].join(sep);
  }],
  ['title', (a) => (arity('title', a, 1), title(str(a, 0)))],
  ['lower', (a) => (arity('lower', a, 1), str(a, 0).toLowerCase())],
  ['upper', (a) => (arity('upper', a, 1), str(a, 0).toUpperCase())],
  ['pad', (a) => {
    arity('pad', a, 3);
    const text = str(a, 0);
    return text === '' ? text : ' '.repeat(Math.max(0, int(a, 1))) + text + ' '.repeat(Math.max(0, int(a, 2)));
  }],
  ['truncate', (a) => {
    arity('truncate', a, 2);
    const text = str(a, 0);
    const length = int(a, 1);
    return text.length < length ? text : text.slice(0, length);
  }],
]);

/** Docker's HeaderFunctions: in a table's header row these return their first argument (the column title). */
export const HEADER_FUNCTIONS: ReadonlyMap<string, GoFunction> = new Map<string, GoFunction>(
  ([['json', 1], ['split', 2], ['join', 2], ['title', 1], ['lower', 1], ['upper', 1], ['truncate', 2]] as const).map(([name, count]) => [
    name,
    (a: readonly unknown[]) => {
      // Docker declares them over strings: `{{json .}}` fails in a header (the header then ends there).
      arity(name, a, count);
      return str(a, 0);
    },
  ]),
);
