/**
 * Tables as the docker CLI writes them: Go's text/tabwriter with minwidth 10,
 * padding 3, padded with spaces, left-aligned (`tabwriter.NewWriter(out, 10, 1,
 * 3, ' ', 0)`). A row is its cells; every cell but a row's last ends a column
 * (the last is the text after the row's last tab, never padded). A column's
 * width holds over a *block*: consecutive rows that have a cell ending in that
 * column (a row with fewer cells ends the block, as in Go); it is the widest
 * such cell plus 3, and at least 10. So a row whose last cell is empty ends
 * in the previous column's padding (as `docker history` rows with no COMMENT
 * do). Widths count code points. Each row ends with '\n'.
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
  const out: string[] = [];
  const widths: number[] = [];
  // Go's tabwriter format(): lay out rows [first, end) whose columns before widths.length are sized.
  const layout = (first: number, end: number): void => {
    const column = widths.length;
    let start = first;
    for (let i = first; i < end; i++) {
      if (column >= rows[i]!.length - 1) continue;
      for (let j = start; j < i; j++) out.push(line(rows[j]!));
      let widest = minWidth;
      let k = i;
      for (; k < end && column < rows[k]!.length - 1; k++) widest = Math.max(widest, width(rows[k]![column]!) + padding);
      widths.push(widest);
      layout(i, k);
      widths.pop();
      start = k;
      i = k - 1;
    }
    for (let j = start; j < end; j++) out.push(line(rows[j]!));
  };
  const line = (row: readonly string[]): string =>
    row.map((cell, c) => (c < row.length - 1 && c < widths.length ? cell + ' '.repeat(Math.max(0, widths[c]! - width(cell))) : cell)).join('') + '\n';
  layout(0, rows.length);
  return out.join('');
}
