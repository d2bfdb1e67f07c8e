/**
 * How JavaScript values stand for Go values in the template engine
 * (cli/format/go-template.ts), and how Go's fmt prints them with `%v`.
 *
 * - string, boolean: Go's string and bool. A number: an int when it is an
 *   integer, else a float64 (printed as `%v` prints one, `1.5`, `1e+21`).
 * - null and undefined: Go's nil (`<nil>`).
 * - an array: a slice (`[a b]`); `goNilSlice()` is a nil slice, printed `[]`
 *   but encoded by `json` as `null` (Docker's typed `Config.Cmd` when unset).
 * - a `Map`: a typed Go map (`map[k:v]`, keys sorted); a missing key yields
 *   `<no value>` whatever missingkey says (Docker's typed inspect succeeds
 *   there, e.g. on `.Config.Labels.nope`).
 * - a plain object: a decoded JSON object, Go's `map[string]interface{}`
 *   (printed `map[k:v]`, keys sorted); its missing key follows missingkey.
 * - a `GoStruct`: a struct (or pointer to one) with a Go type name; a missing
 *   field is the error `can't evaluate field X in type T`. A field may be a
 *   function: a method, called with the command's arguments.
 */

/** A Go struct: named fields (values, or methods as functions), and its type name for errors. */
export class GoStruct {
  constructor(
    /** As Go's errors name it: `*formatter.imageContext`. */
    readonly typeName: string,
    readonly fields: Readonly<Record<string, unknown>>,
    /** 'sorted': `json` sorts the keys (Docker marshals its row contexts as maps); 'declared': the fields' order (a plain Go struct). */
    readonly jsonOrder: 'sorted' | 'declared' = 'sorted',
  ) {}

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.fields, name);
  }

  /** The field's value: a method without arguments is called. */
  get(name: string): unknown {
    const value = this.fields[name];
    return typeof value === 'function' ? (value as () => unknown)() : value;
  }

  /** The struct as Docker's formatter marshals it: every field (methods called), keys in `jsonOrder`. */
  toJSONObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const names = Object.keys(this.fields);
    for (const name of this.jsonOrder === 'sorted' ? names.sort() : names) {
      const value = this.fields[name];
      if (typeof value === 'function' && value.length > 0) continue; // a method that needs arguments
      out[name] = this.get(name);
    }
    return out;
  }
}

/** What a missing map key evaluates to: printed `<no value>`, false to `if`. */
export const NO_VALUE = Symbol('no value');

const NIL_SLICE = Symbol('go nil slice or map');

/** A nil slice: prints `[]`, has length 0, and is `null` to `json`. */
export function goNilSlice(): unknown[] {
  return Object.freeze(Object.assign([], { [NIL_SLICE]: true })) as unknown[];
}

/** A nil typed map: prints `map[]`, has length 0, and is `null` to `json`. */
export function goNilMap(): Map<string, unknown> {
  return Object.assign(new Map<string, unknown>(), { [NIL_SLICE]: true });
}

/** Whether `value` is a nil slice or a nil map (see goNilSlice, goNilMap). */
export function isNilCollection(value: unknown): boolean {
  return (Array.isArray(value) || value instanceof Map) && (value as unknown as Record<symbol, unknown>)[NIL_SLICE] === true;
}

/** A decoded JSON object (not an array, Map, GoStruct or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function goTruth(value: unknown): boolean {
  if (value === null || value === undefined || value === NO_VALUE) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** A float64 as Go's `%v` (strconv 'g', shortest): exponent form below 1e-4 and from 1e21. */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 21) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(value);
}

/** Go's type name for a value, as its errors and `%!verb(type=value)` show it. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? '[]string' : '[]interface {}';
  if (value instanceof Map) return 'map[string]string';
  if (value instanceof GoStruct) return value.typeName;
  return 'map[string]interface {}';
}

function sortedEntries(value: Map<string, unknown> | Record<string, unknown>): [string, unknown][] {
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `fmt.Sprint(value)`, i.e. `%v`: `<nil>`, `[a b]`, `map[a:1 b:2]`, `{v1 v2}` for a struct. */
export function formatGoValue(value: unknown): string {
  if (value === NO_VALUE) return '<no value>';
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : goFloat(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatGoValue).join(' ')}]`;
  if (value instanceof GoStruct) return `{${Object.values(value.toJSONObject()).map(formatGoValue).join(' ')}}`;
  if (value instanceof Map || isPlainObject(value)) {
    return `map[${sortedEntries(value).map(([k, v]) => `${k}:${formatGoValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** Go's encoding/json string: `<>&` escaped only with `escapeHTML`; U+2028 and U+2029 always. */
function jsonString(text: string, escapeHTML: boolean): string {
  let out = JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (escapeHTML) out = out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return out;
}

/**
 * Docker's `json` function: Go's encoding/json, compact, without HTML escaping
 * except inside a GoStruct (Docker marshals its contexts with json.Marshal,
 * which escapes `<>&`). Maps and structs have sorted keys; plain objects keep
 * their order (Docker's typed inspect structs keep the daemon's field order).
 */
export function goJSON(value: unknown, escapeHTML = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return jsonString(value, escapeHTML);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (isNilCollection(value)) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => goJSON(v, escapeHTML)).join(',')}]`;
  if (value instanceof GoStruct) return goJSON(value.toJSONObject(), true);
  const entries = value instanceof Map ? sortedEntries(value) : isPlainObject(value) ? Object.entries(value) : [];
  return `{${entries.map(([k, v]) => `${jsonString(k, escapeHTML)}:${goJSON(v, escapeHTML)}`).join(',')}}`;
}
