import type { ContainerConfig, HistoryEntry, ImageConfig } from './image-config.js';

/**
 * The canonical bytes of a config strata creates, as moby (Docker 20.10)
 * encodes an image config, so that the same content gives the same image id
 * in strata and in Docker:
 *
 * - top level: every key present, sorted by UTF-8 bytes (moby marshals the
 *   config through a map); keys whose value is undefined are left out;
 * - `config` and `container_config`: Docker's container.Config field order,
 *   absent fields written as Go's zero values (`""`, `false`, `null`) except the
 *   `omitempty` ones (ExposedPorts, Healthcheck, ArgsEscaped, NetworkDisabled,
 *   MacAddress, StopSignal, StopTimeout, Shell), which are left out when empty;
 *   unknown keys follow, sorted;
 * - `history` entries: created, author, created_by, comment, empty_layer, the
 *   empty ones left out; `rootfs`: type, diff_ids;
 * - maps (ExposedPorts, Volumes, Labels) sorted by key;
 * - strings as Go writes them: `<`, `>`, `&`, U+2028, U+2029 as `\u003c`…,
 *   control characters other than \n \r \t as `\u00XX` (Go 1.19);
 * - no whitespace, no trailing newline.
 * Any other value (unknown fields' contents) is written as JSON.stringify
 * would, with Go's string escaping.
 */
export function serializeImageConfig(config: ImageConfig): Buffer {
  return Buffer.from(encodeTopLevel(config), 'utf8');
}

/** A string as Go's encoding/json writes it (HTML-safe escaping). */
export function goJsonString(text: string): string {
  return JSON.stringify(text)
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/(?<!\\)((?:\\\\)*)\\([bf])/g, (_, even: string, c: string) => `${even}\\u000${c === 'b' ? '8' : 'c'}`);
}

/**
 * A time as Go's RFC3339Nano writes it, in UTC: fractional seconds without
 * trailing zeros, none when whole (`2026-11-29T18:49:13.5Z`). JavaScript dates
 * hold milliseconds; pass a string to keep nanoseconds.
 */
export function formatCreated(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => (ms === '000' ? 'Z' : `.${ms.replace(/0+$/, '')}Z`));
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(encodeValue).join(',')}]`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${goJsonString(k)}:${encodeValue(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot encode a ${typeof value} in an image config`);
}

/** A Go map: keys sorted by bytes; null stays null. */
function encodeMap(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => byUtf8(a, b));
  return `{${entries.map(([k, v]) => `${goJsonString(k)}:${encodeValue(v)}`).join(',')}}`;
}

/** `pointer`: a Go pointer field, empty only when absent or null (StopTimeout 0 is written). */
type FieldKind = 'string' | 'bool' | 'list' | 'map' | 'value' | 'pointer';
/** [name, kind, omitempty] in container.Config's order. */
const CONTAINER_CONFIG_FIELDS: ReadonlyArray<readonly [keyof ContainerConfig & string, FieldKind, boolean]> = [
  ['Hostname', 'string', false],
  ['Domainname', 'string', false],
  ['User', 'string', false],
  ['AttachStdin', 'bool', false],
  ['AttachStdout', 'bool', false],
  ['AttachStderr', 'bool', false],
  ['ExposedPorts', 'map', true],
  ['Tty', 'bool', false],
  ['OpenStdin', 'bool', false],
  ['StdinOnce', 'bool', false],
  ['Env', 'list', false],
  ['Cmd', 'list', false],
  ['Healthcheck', 'value', true],
  ['ArgsEscaped', 'bool', true],
  ['Image', 'string', false],
  ['Volumes', 'map', false],
  ['WorkingDir', 'string', false],
  ['Entrypoint', 'list', false],
  ['NetworkDisabled', 'bool', true],
  ['MacAddress', 'string', true],
  ['OnBuild', 'list', false],
  ['Labels', 'map', false],
  ['StopSignal', 'string', true],
  ['StopTimeout', 'pointer', true],
  ['Shell', 'list', true],
];
const HEALTHCHECK_FIELDS = ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const;
const HISTORY_FIELDS = ['created', 'author', 'created_by', 'comment', 'empty_layer'] as const;

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Known fields in `order` (omitempty ones left out when empty), then unknown ones sorted. */
function encodeStruct(value: Record<string, unknown>, order: ReadonlyArray<readonly [string, FieldKind, boolean]>): string {
  const known = new Set(order.map(([name]) => name));
  const parts: string[] = [];
  for (const [name, kind, omitEmpty] of order) {
    const v = value[name];
    if (omitEmpty && (kind === 'pointer' ? v === undefined || v === null : isEmpty(v))) continue;
    let encoded: string;
    if (kind === 'string') encoded = goJsonString(typeof v === 'string' ? v : '');
    else if (kind === 'bool') encoded = v === true ? 'true' : 'false';
    else if (kind === 'map') encoded = encodeMap(v);
    else if (name === 'Healthcheck') encoded = encodeStruct(v as Record<string, unknown>, HEALTHCHECK_FIELDS.map((f) => [f, 'value', true] as const));
    else encoded = encodeValue(v);
    parts.push(`${goJsonString(name)}:${encoded}`);
  }
  const unknown = Object.keys(value).filter((k) => !known.has(k) && value[k] !== undefined).sort(byUtf8);
  for (const k of unknown) parts.push(`${goJsonString(k)}:${encodeValue(value[k])}`);
  return `{${parts.join(',')}}`;
}

function encodeHistoryEntry(entry: HistoryEntry): string {
  return encodeStruct(entry as Record<string, unknown>, HISTORY_FIELDS.map((f) => [f, 'value', true] as const));
}

function encodeTopLevel(config: ImageConfig): string {
  const record = config as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort(byUtf8);
  const parts = keys.map((key) => {
    const v = record[key];
    let encoded: string;
    if ((key === 'config' || key === 'container_config') && v !== null) encoded = encodeStruct(v as Record<string, unknown>, CONTAINER_CONFIG_FIELDS);
    else if (key === 'history' && Array.isArray(v)) encoded = `[${(v as HistoryEntry[]).map(encodeHistoryEntry).join(',')}]`;
    else if (key === 'rootfs') encoded = encodeStruct(v as Record<string, unknown>, [['type', 'value', false], ['diff_ids', 'value', false]]);
    else encoded = encodeValue(v);
    return `${goJsonString(key)}:${encoded}`;
  });
  return `{${parts.join(',')}}`;
}
