/** One mount for `mount -a --fstab FILE`: util-linux performs a whole list in one process, in order. */
export interface FstabEntry {
  readonly source: string;
  readonly target: string;
  /** File system type; `none` for a bind. */
  readonly type: string;
  /** Comma-separated mount options (`rbind,ro` binds then remounts read-only; `X-mount.mkdir` creates the target). */
  readonly options: string;
}

/** An fstab field: whitespace, `\` and `#` as octal escapes, which libmount decodes. */
function field(text: string): string {
  return text.replace(/[\s\\#]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** The fstab text for `entries`, one line each, in order. */
export function fstab(entries: readonly FstabEntry[]): string {
  return entries.map((e) => `${field(e.source)} ${field(e.target)} ${e.type} ${e.options} 0 0\n`).join('');
}
