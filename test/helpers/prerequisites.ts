import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext, TestFn } from 'ava';
import { bindMount, unmountPath } from '../../core/engine.js';
import { registerUnless } from '../../core/testkit/index.js';
import type { Missing } from '../../core/testkit/index.js';

/**
 * Tests that need a privilege or a kernel feature. Register them with
 * `testNeeding`: where the need is unmet they are a visible skip naming the
 * reason — and a failure when STRATA_REQUIRE_MOUNTS=1 (CI) — never a silent pass.
 *
 *     await testNeeding(test, 'overlay', 'kernel overlay mount shows the union', async (t) => { ... });
 */
export type Need = 'root' | 'bind' | 'overlay' | 'fuse';

const run = promisify(execFile);
const found = new Map<Need, Promise<string | undefined>>();

/** Why `need` is unmet on this machine, or undefined; probed once per process. */
export function unmet(need: Need): Promise<string | undefined> {
  let result = found.get(need);
  if (result === undefined) found.set(need, (result = probe(need).catch((err: Error) => err.message)));
  return result;
}

export async function testNeeding(test: TestFn, need: Need, title: string, implementation: (t: ExecutionContext) => Promise<void> | void): Promise<void> {
  const reason = await unmet(need);
  const missing: Missing | undefined = reason === undefined ? undefined : { reason, prerequisite: true };
  registerUnless(test, missing, title, implementation);
}

async function probe(need: Need): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return `${need} needs root`;
  if (need === 'root') return undefined;
  if (need === 'fuse') return access('/dev/fuse').then(() => undefined, () => '/dev/fuse is missing');
  const dir = await mkdtemp(join(tmpdir(), `strata-probe-${need}-`));
  const target = join(dir, 'mnt');
  try {
    if (need === 'bind') {
      await bindMount(dir, target, true);
    } else {
      for (const sub of ['lower', 'upper', 'work', 'mnt']) await mkdir(join(dir, sub), { recursive: true });
      await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, target]);
    }
    return undefined;
  } catch (err) {
    return `${need} mounts fail here: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`;
  } finally {
    await unmountPath(target).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
