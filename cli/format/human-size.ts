import { formatGoG } from './go-float.js';

/**
 * Sizes as the docker CLI prints them (go-units): decimal units B, kB, MB, GB,
 * TB, PB, EB, ZB, YB (base 1000), the number in Go's `%.<precision>g`, no
 * space: `166B`, `861kB`, `1.98MB`. Go's quirks are kept: 999,950 bytes at
 * precision 3 is `1e+03kB`, a tie rounds to even (1,125 bytes is `1.12kB`).
 */

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'] as const;
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] as const;

function scaled(bytes: number, base: number, units: readonly string[]): [number, string] {
  let size = bytes;
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** go-units HumanSizeWithPrecision. `bytes` is a non-negative number of bytes. */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = scaled(bytes, 1000, DECIMAL_UNITS);
  return formatGoG(size, precision) + unit;
}

/** go-units HumanSize: precision 4 (`docker system df` SIZE and RECLAIMABLE, `df -v` UNIQUE SIZE: `3.965MB`). */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** The SIZE column of `docker images` and `docker history` (precision 3: `1.98MB`). */
export function imageSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 3);
}

/** go-units BytesSize: binary units, precision 4 (`1.5KiB`). */
export function bytesSize(bytes: number): string {
  const [size, unit] = scaled(bytes, 1024, BINARY_UNITS);
  return formatGoG(size, 4) + unit;
}

/**
 * The RECLAIMABLE cell of `docker system df`: `166B (100%)`, the percentage
 * rounded down; just the size when the total is 0 (`0B`).
 */
export function reclaimableCell(reclaimable: number, total: number): string {
  if (total <= 0) return humanSize(reclaimable);
  return `${humanSize(reclaimable)} (${Math.floor((reclaimable * 100) / total)}%)`;
}
