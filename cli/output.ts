/**
 * How the CLI prints: aligned tables for people, JSON for machines (`--json`).
 * Everything a command prints goes through one `Output`, so a command never
 * chooses between the two forms itself beyond handing over both.
 */

/** Global flags every command honours. */
export interface OutputOptions {
  /** Machine output: one JSON document on stdout. */
  readonly json: boolean;
  /** Full ids in tables instead of 12-digit ones. */
  readonly noTrunc: boolean;
}

/** Digits of an id shown in tables. */
export const SHORT_ID_LENGTH = 12;

/** Something a table column can show; undefined and null print as `-`. */
export type Cell = string | number | boolean | null | undefined;

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => Cell;
  /** Right-align (numbers, sizes). */
  readonly right?: boolean;
}

export class Output {
  readonly #options: OutputOptions;
  readonly #write: (text: string) => void;

  constructor(options: OutputOptions, write: (text: string) => void = (text) => void process.stdout.write(text)) {
    this.#options = options;
    this.#write = write;
  }

  get json(): boolean {
    return this.#options.json;
  }

  /** An id as tables show it: 12 hex digits unless --no-trunc; `sha256:` stripped. */
  id(id: string | null | undefined): string | undefined {
    if (id === null || id === undefined) return undefined;
    const bare = id.startsWith('sha256:') ? id.slice(7) : id;
    return this.#options.noTrunc ? bare : bare.slice(0, SHORT_ID_LENGTH);
  }

  /** Prints `data` as JSON with --json, else the table of `rows`. */
  list<Row>(rows: readonly Row[], columns: readonly Column<Row>[], data: unknown = rows): void {
    if (this.#options.json) this.jsonDocument(data);
    else this.#write(renderTable(rows, columns));
  }

  /** Prints `data` as JSON with --json, else the lines `human` returns. */
  value(data: unknown, human: () => string | readonly string[]): void {
    if (this.#options.json) {
      this.jsonDocument(data);
      return;
    }
    const text = human();
    const lines = typeof text === 'string' ? [text] : text;
    if (lines.length > 0) this.#write(lines.join('\n') + '\n');
  }

  jsonDocument(data: unknown): void {
    this.#write(JSON.stringify(data, jsonReplacer, 2) + '\n');
  }
}

/** JSON has no Infinity (a driver's unbounded maxDepth): print it as null. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell);
}

/** Columns separated by three spaces, headers upper-case, each line trimmed at the end. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes for people: `512 B`, `1.5 MiB` (binary units, one decimal from KiB up). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SS` (UTC), or as given when unparsable. */
export function formatTime(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toISOString().slice(0, 19).replace('T', ' ');
}
