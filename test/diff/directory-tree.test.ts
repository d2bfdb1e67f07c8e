import test from 'ava';
import { chmod, link, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree, ErrorCode, S_IFBLK, isStrataError, sys } from '../../core/engine.js';
import { FIXED_SECONDS, bytesOf, tempDir } from './trees.js';

test('stat reports type, permission bits, size and whole-tree identity without following symlinks', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'f'), 'hello');
  await chmod(join(dir, 'f'), 0o6755);
  await link(join(dir, 'f'), join(dir, 'g'));
  await symlink('f', join(dir, 'l'));
  await mkdir(join(dir, 'd'));
  const tree = new DirectoryTree(dir);
  const f = await tree.stat('/f');
  t.like(f, { type: 'file', mode: 0o6755, size: 5, nlink: 2 });
  t.is((await tree.stat('/g'))?.ino, f?.ino);
  t.like(await tree.stat('/l'), { type: 'symlink', linkTarget: 'f', size: 0 });
  t.like(await tree.stat('/d'), { type: 'directory', size: 0 });
  t.like(await tree.stat('/'), { type: 'directory' });
  t.is(await tree.stat('/missing'), undefined);
  t.is(await tree.stat('/f/below-a-file'), undefined);
});

test('device numbers are split into major and minor', async (t) => {
  const dir = await tempDir(t);
  sys.mknod(join(dir, 'blk'), S_IFBLK | 0o640, 259, 70000);
  t.deepEqual((await new DirectoryTree(dir).stat('/blk'))?.rdev, { major: 259, minor: 70000 });
});

test('a path through a symlinked directory is absent, so nothing outside the tree is reached', async (t) => {
  const outside = await tempDir(t);
  await writeFile(join(outside, 'secret'), 'no');
  const dir = await tempDir(t);
  await symlink(outside, join(dir, 'escape'));
  const tree = new DirectoryTree(dir);
  t.is(await tree.stat('/escape/secret'), undefined);
  const err = await t.throwsAsync(tree.read('/escape/secret'));
  t.true(isStrataError(err, ErrorCode.ENOTFOUND));
  t.true(isStrataError(await t.throwsAsync(tree.readdir('/escape')), ErrorCode.ENOTFOUND));
  t.true(isStrataError(await t.throwsAsync(tree.read('/escape')), ErrorCode.ENOTFOUND));
  t.true(isStrataError(await t.throwsAsync(tree.stat('/../x')), ErrorCode.ENOTFOUND));
});

test('readdir lists names in byte order; read streams content; missing paths fail with ENOTFOUND', async (t) => {
  const dir = await tempDir(t);
  for (const name of ['b', 'a', 'B', 'a.b', 'a-b', 'ä']) await writeFile(join(dir, name), name);
  const tree = new DirectoryTree(dir);
  t.deepEqual(await tree.readdir('/'), ['B', 'a', 'a-b', 'a.b', 'b', 'ä']);
  t.is((await bytesOf(await tree.read('/ä'))).toString(), 'ä');
  t.true(isStrataError(await t.throwsAsync(tree.readdir('/nope')), ErrorCode.ENOTFOUND));
  t.true(isStrataError(await t.throwsAsync(tree.read('/nope')), ErrorCode.ENOTFOUND));
  t.true(isStrataError(await t.throwsAsync(tree.read('/')), ErrorCode.ENOTFOUND));
  t.true(isStrataError(await t.throwsAsync(tree.xattrs('/nope')), ErrorCode.ENOTFOUND));
});

test('xattrs hide overlayfs bookkeeping and keep binary values', async (t) => {
  const dir = await tempDir(t);
  const f = join(dir, 'f');
  await writeFile(f, '');
  sys.lsetxattr(f, 'user.b', Buffer.from([0xff, 0x00, 0x0a]));
  sys.lsetxattr(f, 'user.a', Buffer.from('x'));
  sys.lsetxattr(f, 'user.overlay.origin', Buffer.from('o'));
  sys.lsetxattr(f, 'trusted.overlay.opaque', Buffer.from('y'));
  sys.lsetxattr(f, 'trusted.kept', Buffer.from('t'));
  const xattrs = await new DirectoryTree(dir).xattrs('/f');
  t.deepEqual(Object.keys(xattrs), ['trusted.kept', 'user.a', 'user.b']);
  t.deepEqual(xattrs['user.b'], Buffer.from([0xff, 0x00, 0x0a]));
});

test('mtime keeps sub-second precision', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'f'), '');
  await utimes(join(dir, 'f'), FIXED_SECONDS + 0.5, FIXED_SECONDS + 0.5);
  t.is((await new DirectoryTree(dir).stat('/f'))?.mtimeMs, (FIXED_SECONDS + 0.5) * 1000);
});
