import { run } from '../exec.js';

/** Allocated bytes and inodes of the given trees together (`du -c`, hardlinks counted once). */
export async function du(paths: readonly string[]): Promise<{ bytes: number; inodes: number }> {
  const total = async (flag: string): Promise<number> => {
    const { stdout } = await run('du', ['-s', '-c', flag, ...paths]);
    const last = stdout.trim().split('\n').pop() ?? '';
    return Number(last.split(/\s+/)[0]);
  };
  return { bytes: await total('-B1'), inodes: await total('--inodes') };
}
