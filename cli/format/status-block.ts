/** Where progress is written: a terminal gets a redrawn block, anything else plain lines. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * The per-layer block `docker pull` and `docker push` draw: one line per id,
 * in first-seen order. On a terminal, a line is rewritten in place (cursor up,
 * clear, rewrite, cursor back down) whenever its status changes; elsewhere each
 * change of status is printed once as `<id>: <status>`, and byte progress
 * (which changes constantly) is not printed at all.
 */
export class StatusBlock {
  readonly #out: ProgressOutput;
  readonly #ids: string[] = [];
  readonly #last = new Map<string, string>();

  constructor(out: ProgressOutput) {
    this.#out = out;
  }

  /** Sets `id`'s line to `status` (plus a progress bar on a terminal when `current`/`total` are given). */
  update(id: string, status: string, current?: number, total?: number): void {
    const known = this.#last.has(id);
    if (!this.#out.isTTY) {
      if (current === undefined && this.#last.get(id) !== status) this.#out.write(`${id}: ${status}\n`);
      this.#last.set(id, status);
      return;
    }
    const line = `${id}: ${status}${current !== undefined && total ? ` ${progressBar(current, total)}` : ''}`;
    if (!known) {
      this.#ids.push(id);
      this.#last.set(id, line);
      this.#out.write(`${line}\n`);
      return;
    }
    if (this.#last.get(id) === line) return;
    this.#last.set(id, line);
    const up = this.#ids.length - this.#ids.indexOf(id);
    this.#out.write(`\x1b[${up}A\r\x1b[2K${line}\r\x1b[${up}B`);
  }

  /** A line outside the block (printed below it). */
  line(text: string): void {
    this.#out.write(`${text}\n`);
  }
}

/** Docker's bar: `[=====>        ]  1.23MB/4.56MB`, 50 columns wide. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = `${'='.repeat(filled)}>`.padEnd(width).slice(0, width);
  return `[${bar}]  ${humanSize(current)}/${humanSize(total)}`;
}

/** Decimal sizes with four significant digits, as Docker prints them: `512B`, `3.146MB`. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`;
}
