import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Directories made by `tempDirUntilExit` and not yet removed. */
const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh directory under the system temp dir, removed when the test process
 * exits: for fixtures made outside any one test (a helper's data, a tar shared
 * by a file's tests), which no test's teardown owns.
 */
export async function tempDirUntilExit(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
