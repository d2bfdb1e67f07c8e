import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes } from './output.js';

/** Minimum milliseconds between two redraws of the progress line. */
const REDRAW_MS = 100;

/** Where progress goes: stderr, and only when it is a terminal. */
export interface ProgressSink {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A pass-through stream that counts the bytes flowing through it and, when the
 * sink is a terminal, redraws one status line: `label  12.5 MiB / 40.0 MiB  31%
 * 85.2 MiB/s`. Silent (a plain pass-through) when the sink is not a TTY, so
 * piped output and logs stay clean. The line is cleared when the stream ends
 * or is destroyed; bytes are never altered or buffered beyond one chunk.
 */
export class ProgressMeter extends Transform {
  readonly #label: string;
  readonly #total: number | undefined;
  readonly #sink: ProgressSink | undefined;
  readonly #started = Date.now();
  #bytes = 0;
  #lastDraw = 0;

  /** `total`: expected bytes, when known (a file's size), for a percentage. */
  constructor(label: string, total?: number, sink: ProgressSink = process.stderr) {
    super();
    this.#label = label;
    this.#total = total !== undefined && total > 0 ? total : undefined;
    this.#sink = sink.isTTY ? sink : undefined;
  }

  /** Bytes that have passed through so far. */
  get bytes(): number {
    return this.#bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    const now = Date.now();
    if (this.#sink && now - this.#lastDraw >= REDRAW_MS) {
      this.#lastDraw = now;
      this.#sink.write(`\r\x1b[K${this.#status(now)}`);
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#clear();
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#clear();
    callback(err);
  }

  #clear(): void {
    if (this.#sink && this.#lastDraw !== 0) {
      this.#sink.write('\r\x1b[K');
      this.#lastDraw = 0;
    }
  }

  #status(now: number): string {
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const parts = [this.#label, formatBytes(this.#bytes)];
    if (this.#total !== undefined) {
      parts[1] += ` / ${formatBytes(this.#total)}`;
      parts.push(`${Math.min(100, Math.floor((this.#bytes / this.#total) * 100))}%`);
    }
    parts.push(`${formatBytes(this.#bytes / seconds)}/s`);
    return parts.join('  ');
  }
}
