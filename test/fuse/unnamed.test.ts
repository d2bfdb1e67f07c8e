import test from 'ava';
import { constants } from 'node:os';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuseOps } from '../../drivers/fuse/fuse-ops.js';
import { UnionFs } from '../../drivers/fuse/union-fs.js';

// With hard_remove, libfuse calls the handlers of a file removed while open with a NULL path,
// which fuse-native hands over as '': the handle's operations work on its descriptor; any other
// operation answers ENOENT and touches nothing (never the root, which '' might resolve to).

test('a file removed while open: fgetattr, write, ftruncate and release work by handle; path operations without a path answer ENOENT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fuse-unnamed-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const sub of ['upper', 'lower', 'work']) await mkdir(join(dir, sub));
  const u = new UnionFs({ layers: [join(dir, 'upper'), join(dir, 'lower')], writable: true, workDir: join(dir, 'work'), opaqueXattr: 'user.overlay.opaque', privileged: false });
  const ops = fuseOps(u, (op, path, err) => t.fail(`${op} ${path}: ${String(err)}`)) as unknown as Record<string, (...a: unknown[]) => void>;
  const call = (name: string, ...args: unknown[]) =>
    new Promise<{ result: number; value?: unknown }>((resolve) => ops[name]!(...args, (result: number, value?: unknown) => resolve({ result, value })));

  const fd = (await call('create', '/f', 0o644)).value as number;
  t.true(fd > 0);
  t.is((await call('unlink', '/f')).result, 0);
  t.deepEqual(await readdir(join(dir, 'upper')), [], 'the name is gone at once');
  const data = Buffer.from('still here');
  t.is((await call('write', '', fd, data, data.length, 0)).result, data.length);
  t.like((await call('fgetattr', '', fd)).value, { size: data.length, nlink: 0 });
  t.is((await call('ftruncate', '', fd, 5)).result, 0);
  t.like((await call('fgetattr', '', fd)).value, { size: 5 });
  const rootMode = (await lstat(join(dir, 'upper'))).mode;
  for (const [name, ...args] of [['chmod', '', 0o600], ['getattr', ''], ['truncate', '', 0], ['setxattr', '', 'user.x', Buffer.from('x')]] as const) {
    t.is((await call(name, ...args)).result, -constants.errno.ENOENT, name);
  }
  t.is((await lstat(join(dir, 'upper'))).mode, rootMode, 'the root is untouched');
  t.is((await call('release', '', fd)).result, 0);
  t.is((await call('fgetattr', '', 0)).result, -constants.errno.ENOENT, 'no handle, no path');
});
