import type { Unit } from '../results.js';

function fixed(v: number): string {
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A value with its unit, for tables: "12.3 ms", "45.1 µs", "3.2 MiB", "20,001 inodes". */
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  switch (unit) {
    case 'ms':
      return value >= 10000 ? `${fixed(value / 1000)} s` : `${fixed(value)} ms`;
    case 'us':
      return value >= 10000 ? `${fixed(value / 1000)} ms` : `${fixed(value)} µs`;
    case 'bytes':
      return value >= 2 ** 30 ? `${fixed(value / 2 ** 30)} GiB` : value >= 2 ** 20 ? `${fixed(value / 2 ** 20)} MiB` : `${fixed(value / 1024)} KiB`;
    case 'inodes':
      return `${Math.round(value).toLocaleString('en-US')}`;
    case 'MB/s':
      return `${fixed(value)} MB/s`;
  }
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '' : `${fixed(ratio)}×`;
}

/** The unit's name for chart axes. */
export function unitLabel(unit: Unit): string {
  return unit === 'us' ? 'µs' : unit;
}
