/**
 * Tables as the docker CLI writes them: Go's text/tabwriter with minwidth 10,
 * padding 3, padded with spaces, left-aligned (`tabwriter.NewWriter(out, 10, 1,
 * 3, ' ', 0)`). Every column but the last is as wide as its widest cell plus 3,
 * and at least 10; the last column is not padded, so a row whose last cell is
 * empty ends in the previous column's padding (as `docker history` rows with no
 * COMMENT do). Widths count code points. Each row ends with '\n'.
 */
export interface DockerTableOptions {
  /** Minimum column width, padding included (Docker: 10). */
  readonly minWidth?: number;
  /** Spaces after the widest cell of a column (Docker: 3). */
  readonly padding?: number;
}

function width(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Lays out `rows` (the header first, if any). Rows may have different lengths. */
export function formatDockerTable(rows: readonly (readonly string[])[], options: DockerTableOptions = {}): string {
  const minWidth = options.minWidth ?? 10;
  const padding = options.padding ?? 3;
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) {
    const widest = Math.max(0, ...rows.filter((r) => c < r.length - 1).map((r) => width(r[c]!)));
    widths.push(Math.max(minWidth, widest + padding));
  }
  return rows
    .map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell + ' '.repeat(widths[c]! - width(cell)))).join('') + '\n')
    .join('');
}
