import test from 'ava';
import { constants } from 'node:os';
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sys } from '../../core/engine.js';
import { fuseOps } from '../../drivers/fuse/fuse-ops.js';
import { UnionFs } from '../../drivers/fuse/union-fs.js';
import { testNeedingAll } from './fixtures.js';

// The handler table without a mount: what each call answers fuse-native.

type Answer = { result: number; value?: unknown };

function call(ops: object, name: string, ...args: unknown[]): Promise<Answer> {
  return new Promise((resolve) => {
    (ops as Record<string, (...a: unknown[]) => void>)[name]!(...args, (result: number, value?: unknown) => resolve({ result, value }));
  });
}

async function union(t: { teardown(fn: () => Promise<void>): void }, writable: boolean, redirectDirs = true) {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fuse-ops-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const sub of ['upper', 'lower', 'work']) await mkdir(join(dir, sub));
  await writeFile(join(dir, 'lower', 'f'), 'lower file');
  return new UnionFs({ layers: [join(dir, 'upper'), join(dir, 'lower')], writable, workDir: join(dir, 'work'), opaqueXattr: 'user.overlay.opaque', privileged: false, redirectDirs });
}

test('errors answer their errno; a bug inside a handler answers EIO for that call and is logged', async (t) => {
  const u = await union(t, true);
  const faults: string[] = [];
  const ops = fuseOps(u, (op, path) => faults.push(`${op} ${path}`));
  t.is((await call(ops, 'getattr', '/missing')).result, -constants.errno.ENOENT);
  t.is((await call(ops, 'rmdir', '/f')).result, -constants.errno.ENOTDIR);
  t.deepEqual(faults, [], 'errno answers are not faults');
  const original = u.tree.locate.bind(u.tree);
  u.tree.locate = () => { throw new TypeError('a bug'); };
  t.is((await call(ops, 'getattr', '/f')).result, -constants.errno.EIO, 'a synchronous throw');
  u.tree.locate = () => Promise.reject(new RangeError('another bug'));
  t.is((await call(ops, 'readdir', '/')).result, -constants.errno.EIO, 'a rejection');
  t.deepEqual(faults, ['getattr /f', 'readdir /']);
  u.tree.locate = original;
  const ok = await call(ops, 'getattr', '/f');
  t.is(ok.result, 0, 'the next call is served');
  t.like(ok.value, { size: 'lower file'.length });
});

test('a read-only union answers EROFS to every change', async (t) => {
  const u = await union(t, false);
  const ops = fuseOps(u, () => t.fail('no fault expected'));
  for (const [name, ...args] of [['unlink', '/f'], ['mkdir', '/d', 0o755], ['create', '/n', 0o644], ['chmod', '/f', 0o600], ['rename', '/f', '/g']] as const) {
    t.is((await call(ops, name, ...args)).result, -constants.errno.EROFS, name);
  }
  t.is((await call(ops, 'getattr', '/f')).result, 0, 'reads still work');
  // open answers ENOSYS, so the kernel sends no more opens nor releases (no_open; the mount is `ro`, so the
  // kernel refuses opens for writing itself); reads go by path.
  t.is((await call(ops, 'open', '/f', 0)).result, -constants.errno.ENOSYS);
  t.is(ops.release, undefined);
  const buf = Buffer.alloc(64);
  const read = await new Promise<number>((resolve) => ops.read!('/f', 0, buf, 64, 0, resolve));
  t.is(buf.subarray(0, read).toString(), 'lower file');
});

await testNeedingAll(test, ['root'], 'deletions write whiteouts, a re-made directory is opaque, a lower directory renames by redirect', async (t) => {
  const u = await union(t, true);
  const lower = join(u.upperDir, '..', 'lower');
  await mkdir(join(lower, 'd'));
  await writeFile(join(lower, 'd', 'x'), 'x');
  const ops = fuseOps(u, (op, path, err) => t.fail(`${op} ${path}: ${String(err)}`));
  const upper = (p: string) => join(u.upperDir, p);
  const isWhiteout = async (p: string) => { const st = await lstat(upper(p)); return st.isCharacterDevice() && st.rdev === 0; };

  t.is((await call(ops, 'unlink', '/f')).result, 0);
  t.true(await isWhiteout('/f'), 'unlinking a lower file leaves a whiteout');
  t.is((await call(ops, 'getattr', '/f')).result, -constants.errno.ENOENT);
  t.is((await call(ops, 'mkdir', '/f', 0o755)).result, 0);
  t.is(sys.lgetxattr(upper('/f'), 'user.overlay.opaque')?.toString(), 'y', 'a directory made over a whiteout is opaque');

  t.is((await call(ops, 'rename', '/d', '/moved')).result, 0, 'a lower directory renames');
  t.true(await isWhiteout('/d'), 'its old name is whited out');
  t.is(sys.lgetxattr(upper('/moved'), 'user.overlay.redirect')?.toString(), 'd', 'the new name redirects to the old one (a bare name: same parent)');
  t.deepEqual(await readdir(upper('/moved')), [], 'nothing of its content was copied up');
  t.deepEqual((await call(ops, 'readdir', '/moved')).value, ['.', '..', 'x'], 'the union shows its content under the new name');
  t.like((await call(ops, 'getattr', '/moved/x')).value, { size: 1 });
  t.deepEqual((await call(ops, 'readdir', '/')).value, ['.', '..', 'f', 'moved']);

  t.is((await call(ops, 'mkdir', '/d2', 0o755)).result, 0);
  t.is((await call(ops, 'rename', '/d2', '/d')).result, 0, 'a directory renames onto a whited-out name');
  t.true((await lstat(upper('/d'))).isDirectory());
  t.is(sys.lgetxattr(upper('/d'), 'user.overlay.opaque')?.toString(), 'y', 'and is opaque there, so the old lower content stays hidden');
  t.deepEqual((await call(ops, 'readdir', '/d')).value, ['.', '..']);
});

await testNeedingAll(test, ['root'], 'without redirectDirs (strata-fuse-overlay), a lower directory renames by copying its union', async (t) => {
  const u = await union(t, true, false);
  const lower = join(u.upperDir, '..', 'lower');
  await mkdir(join(lower, 'd'));
  await writeFile(join(lower, 'd', 'x'), 'x');
  const ops = fuseOps(u, (op, path, err) => t.fail(`${op} ${path}: ${String(err)}`));
  t.is((await call(ops, 'rename', '/d', '/moved')).result, 0);
  t.deepEqual(await readdir(join(u.upperDir, 'moved')), ['x'], 'its content was copied up');
  t.is(sys.lgetxattr(join(u.upperDir, 'moved'), 'user.overlay.redirect'), null, 'no redirect');
  t.deepEqual((await call(ops, 'readdir', '/moved')).value, ['.', '..', 'x']);
});
