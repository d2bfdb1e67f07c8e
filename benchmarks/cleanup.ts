import { readFile, rm } from 'node:fs/promises';
import { MNT_DETACH, sys } from '../core/engine.js';

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

/**
 * Removes a benchmark directory. Any mount still below it (a failed scenario's)
 * is detached first, so rm never deletes through a mount into a lower layer.
 */
export async function removeTree(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) {
    try {
      sys.umount2(point, MNT_DETACH);
    } catch {
      // already gone
    }
  }
  if ((await mountsUnder(dir)).length > 0) throw new Error(`cannot remove ${dir}: mounts remain below it`);
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
