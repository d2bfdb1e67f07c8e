import test from 'ava';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { ErrorCode, compareUpper, naiveDiff, sys } from '../../core/engine.js';
import type { DiffEntry, TreeReader } from '../../core/engine.js';
import { SECONDS, bytesOf, describeTree, homeOf, layerTar, layerTree, newDriver } from './fixtures.js';

/** A 3-layer image: base, a layer deleting and replacing things, a layer re-creating an opaque dir. */
async function image(t: Parameters<typeof newDriver>[0]) {
  const driver = await newDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar({
    'etc/': '', 'etc/passwd': 'root', 'etc/hosts': 'localhost', 'opt/': '', 'opt/a/': '', 'opt/a/x': 'x', 'opt/a/y': 'y', 'bin': 'sh',
  }));
  await driver.create('mid', 'base', { writable: false });
  await driver.applyDiff('mid', 'base', layerTar({ 'etc/.wh.hosts': '', 'opt/a/': '', 'opt/a/.wh..wh..opq': '', 'opt/a/z': 'z', 'bin': 'bash' }));
  await driver.create('top', 'mid', { writable: false });
  await driver.applyDiff('top', 'mid', layerTar({ '.wh.opt': '', 'srv/': '', 'srv/www': 'w' }));
  return driver;
}

test('lookups honour whiteouts and opaque directories through the stack', async (t) => {
  const driver = await image(t);
  t.deepEqual(await driver.readdir('base', '/opt/a'), ['x', 'y']);
  t.deepEqual(await driver.readdir('mid', '/opt/a'), ['z'], 'the opaque dir hides the base children');
  t.deepEqual(await driver.readdir('mid', '/etc'), ['passwd'], 'the whiteout hides hosts');
  t.is(await driver.stat('mid', '/etc/hosts'), undefined);
  t.is((await bytesOf(await driver.read('mid', '/bin'))).toString(), 'bash', 'the upper file wins');
  t.is((await bytesOf(await driver.read('base', '/bin'))).toString(), 'sh');
  t.deepEqual(await driver.readdir('top', '/'), ['bin', 'etc', 'srv']);
  t.is(await driver.stat('top', '/opt/a/z'), undefined, 'nothing below a whited-out directory');
  await t.throwsAsync(driver.readdir('top', '/opt'), { code: ErrorCode.ENOTFOUND });
  await t.throwsAsync(driver.read('top', '/opt/a/z'), { code: ErrorCode.ENOTFOUND });
  const st = await driver.stat('top', '/etc/passwd');
  t.like(st, { type: 'file', size: 4, mode: 0o644 });
  t.is(Math.floor(st!.mtimeMs / 1000), SECONDS);
});

test('deletions are stored as overlayfs reads them: char 0/0 whiteouts and an opaque xattr', async (t) => {
  const driver = await image(t);
  const upper = join(homeOf(driver), 'layers', 'mid', 'diff');
  const whiteout = await lstat(join(upper, 'etc', 'hosts'));
  t.true(whiteout.isCharacterDevice());
  t.is(whiteout.rdev, 0);
  const opaqueName = process.getuid?.() === 0 ? 'trusted.overlay.opaque' : 'user.overlay.opaque';
  t.is(sys.lgetxattr(join(upper, 'opt', 'a'), opaqueName)?.toString(), 'y');
  t.deepEqual(await driver.xattrs('mid', '/opt/a'), {}, 'overlay bookkeeping is not a user xattr');
});

test('native diff gives exactly the naive diff bytes, for each layer of the stack', async (t) => {
  const driver = await image(t);
  for (const [id, parent] of [['base', null], ['mid', 'base'], ['top', 'mid']] as const) {
    const native = await bytesOf(await driver.diff(id, parent));
    const naive = await bytesOf(naiveDiff(parent === null ? null : layerTree(driver, parent), layerTree(driver, id)));
    t.true(native.equals(naive), `layer ${id}`);
    t.true(native.length > 1024, 'the diff carries entries');
  }
  t.deepEqual(await driver.changes('mid', 'base'), [
    { kind: 'C', path: '/bin' },
    { kind: 'D', path: '/etc/hosts' },
    { kind: 'D', path: '/opt/a/x' },
    { kind: 'D', path: '/opt/a/y' },
    { kind: 'A', path: '/opt/a/z' },
  ]);
});

test('a diff applied on another root gives the same union', async (t) => {
  const driver = await image(t);
  const other = await newDriver(t);
  let parent: string | null = null;
  for (const id of ['base', 'mid', 'top']) {
    await other.create(id, parent, { writable: false });
    await other.applyDiff(id, parent, await driver.diff(id, parent));
    t.deepEqual(await describeTree(layerTree(other, id)), await describeTree(layerTree(driver, id)), `layer ${id}`);
    parent = id;
  }
});

test('the native diff asks the parent union only about paths the layer holds', async (t) => {
  const driver = await newDriver(t);
  const spec: Record<string, string> = { 'big/': '', 'small/': '', 'small/keep': 'k', 'small/gone': 'g' };
  for (let i = 0; i < 300; i++) spec[`big/f${i}`] = `file ${i}`;
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar(spec));
  await driver.create('upper', 'base', { writable: false });
  await driver.applyDiff('upper', 'base', layerTar({ 'small/.wh.gone': '', 'small/new': 'n' }));

  const asked: string[] = [];
  const base = layerTree(driver, 'base');
  const counting: TreeReader = {
    stat: (p) => (asked.push(`stat ${p}`), base.stat(p)),
    readdir: (p) => (asked.push(`readdir ${p}`), base.readdir(p)),
    read: (p) => (asked.push(`read ${p}`), base.read(p)),
    xattrs: (p) => (asked.push(`xattrs ${p}`), base.xattrs(p)),
  };
  const upperDir = join(homeOf(driver), 'layers', 'upper', 'diff');
  const entries: DiffEntry[] = [];
  for await (const e of compareUpper(upperDir, counting, layerTree(driver, 'upper'))) entries.push(e);
  t.deepEqual(entries, [
    { kind: 'delete', path: '/small/gone' },
    { kind: 'add', path: '/small/new' },
  ]);
  t.false(asked.some((q) => q.includes('/big')), 'nothing under /big, which the layer does not hold');
  t.deepEqual(asked.filter((q) => q.startsWith('readdir')), ['readdir /small'], 'only the directory with a whiteout is listed');
});

test('a hardlink in a layer to a file only a lower layer holds reads that file', async (t) => {
  const driver = await newDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar({ 'bin/': '', 'bin/tool': 'the tool' }));
  await driver.create('upper', 'base', { writable: false });
  const pack = tarStream.pack();
  pack.entry({ name: 'bin/alias', type: 'link', linkname: 'bin/tool', mtime: new Date(SECONDS * 1000) });
  pack.finalize();
  await driver.applyDiff('upper', 'base', Readable.from(pack));
  t.is((await bytesOf(await driver.read('upper', '/bin/alias'))).toString(), 'the tool');
  const [alias, tool] = [await driver.stat('upper', '/bin/alias'), await driver.stat('upper', '/bin/tool')];
  t.is(alias!.ino, tool!.ino, 'one file under two names in the layer');
  t.is((await bytesOf(await driver.read('base', '/bin/tool'))).toString(), 'the tool', 'the lower layer is untouched');
  t.deepEqual(await driver.readdir('base', '/bin'), ['tool']);
});
