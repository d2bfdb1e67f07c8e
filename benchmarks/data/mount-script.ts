import type { ChangeSet } from './change-set.js';

function q(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}

/** A bash line writing `size` bytes of fixed text to path (same bytes for every subject). */
function write(path: string, size: number): string {
  return `yes strata-bench | head -c ${size} > ${q(path)}`;
}

/**
 * The change set as a bash script to run with a mount as its working
 * directory: what a user's process would do (copy-up on rewrite and chmod,
 * whiteouts on rm, an opaque directory on rm -rf + mkdir). Drivers and union
 * peers run the same script, from a child process.
 */
export function mountScript(changes: ChangeSet): string {
  const lines = ['set -e'];
  for (const c of changes.changes) {
    switch (c.kind) {
      case 'add':
      case 'modify':
        lines.push(write(c.path, c.size));
        break;
      case 'delete':
        lines.push(`rm -rf ${q(c.path)}`);
        break;
      case 'chmod':
        lines.push(`chmod ${c.mode.toString(8)} ${q(c.path)}`);
        break;
      case 'replaceDir':
        lines.push(`rm -rf ${q(c.path)}`, `mkdir ${q(c.path)}`);
        for (const f of c.files) lines.push(write(`${c.path}/${f.name}`, f.size));
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}
