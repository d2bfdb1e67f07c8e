import { mkdir } from 'node:fs/promises';
import { run } from '../exec.js';
import { timeMs } from '../stats.js';

/**
 * GNU tar as the floor strata's diff and apply are measured against. Times
 * include starting tar (a few milliseconds), as a user's pipeline would.
 */

/**
 * `tar -c` of everything in `dir` piped to `wc -c` (not `-f /dev/null`: GNU tar
 * then skips reading file data). Resolves with the time and the tar's bytes.
 */
export async function tarCreate(dir: string): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  const ms = await timeMs(async () => {
    const { stdout } = await run('bash', ['-c', 'set -o pipefail; tar -C "$1" -cf - . | wc -c', 'tar-create', dir]);
    bytes = Number(stdout.trim());
  });
  return { ms, bytes };
}

/**
 * `tar -xpf file -C dir` into a fresh directory, then fsync of every entry it
 * wrote (`find | xargs sync`, as the drivers fsync what they extract — not a
 * global `sync`, which would also wait for other processes' writes); milliseconds.
 */
export async function tarExtract(tarFile: string, dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  return timeMs(() => run('bash', ['-c', 'set -o pipefail; tar -xpf "$1" -C "$2" && find "$2" \\( -type f -o -type d \\) -print0 | xargs -0 -r sync --', 'tar-extract', tarFile, dir]));
}

/** Unpacks a tarball for use as data (not timed, not synced). */
export async function untar(tarFile: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('tar', ['-xpf', tarFile, '-C', dir]);
}

/** `cp -a --reflink=auto src dst`: what a full-copy snapshot costs outside strata; milliseconds. */
export async function copyTree(src: string, dst: string): Promise<number> {
  return timeMs(() => run('cp', ['-a', '--reflink=auto', src, dst]));
}
