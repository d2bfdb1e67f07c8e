import test from 'ava';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { ErrorCode, naiveChanges, naiveDiff, sys, wrapDriver } from '../../core/engine.js';
import { OverlayDriver } from '../../drivers/overlay/index.js';
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

test('the native diff looks up only the paths the layer holds: a lower directory that cannot be listed does not stop it', async (t) => {
  const driver = await newDriver(t);
  const spec: Record<string, string> = { 'big/': '', 'small/': '', 'small/keep': 'k', 'small/gone': 'g' };
  for (let i = 0; i < 300; i++) spec[`big/f${i}`] = `file ${i}`;
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar(spec));
  await driver.create('upper', 'base', { writable: false });
  await driver.applyDiff('upper', 'base', layerTar({ 'big/': '', 'big/f7': 'rewritten', 'small/': '', 'small/.wh.gone': '', 'small/new': 'n' }));
  const before = await bytesOf(await driver.diff('upper', 'base'));
  const changes = [
    { kind: 'C', path: '/big/f7' },
    { kind: 'D', path: '/small/gone' },
    { kind: 'A', path: '/small/new' },
  ];
  t.deepEqual(await driver.changes('upper', 'base'), changes);

  // A name that is not UTF-8 in the base's /big (its mtime kept): any listing of /big now fails.
  const bigDir = join(homeOf(driver), 'layers', 'base', 'diff', 'big');
  const { atime, mtime } = statSync(bigDir);
  writeFileSync(Buffer.concat([Buffer.from(`${bigDir}/bad-`), Buffer.from([0xff])]), 'x');
  utimesSync(bigDir, atime, mtime);
  const fresh = wrapDriver((c) => new OverlayDriver(c), homeOf(driver)); // as a new process sees the store: nothing cached
  await fresh.init();
  await t.throwsAsync(fresh.readdir('base', '/big'), { code: ErrorCode.EUNSUPPORTED });
  await t.throwsAsync(bytesOf(naiveDiff(layerTree(fresh, 'base'), layerTree(fresh, 'upper'))), { code: ErrorCode.EUNSUPPORTED });

  const again = wrapDriver((c) => new OverlayDriver(c), homeOf(driver));
  await again.init();
  t.is((await bytesOf(await again.read('upper', '/big/f7'))).toString(), 'rewritten', "the layer's own file reads without listing /big (a tar-split replay reads so)");
  t.deepEqual(await bytesOf(await again.diff('upper', 'base')), before, 'the same tar: /big/f7 was looked up, /big never listed');
  t.deepEqual(await again.changes('upper', 'base'), changes);
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

test('the native diff tells removals of every lower name (opaque) from some (whiteouts) as the naive diff does, through a stack', async (t) => {
  const driver = await newDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar({
    'd1/': '', 'd1/a': 'a', 'd1/b': 'b', 'd2/': '', 'd2/a': 'a', 'd2/b': 'b', 'd3/': '', 'd3/a': 'a', 'd4/': '',
    'd5/': '', 'd5/x': 'x', 'd5/y': 'y', 'e/': '', 'e/k': 'k', 'f': 'file', 'g/': '', 'g/h/': '', 'g/h/i': 'i', 'g/h/j': 'j',
  }));
  await driver.create('mid', 'base', { writable: false });
  await driver.applyDiff('mid', 'base', layerTar({ 'd2/': '', 'd2/.wh.a': '', 'e/': '', 'e/.wh..wh..opq': '', 'e/k2': 'k2', 'g/': '', 'g/h/': '', 'g/h/.wh.i': '' }));
  await driver.create('top', 'mid', { writable: false });
  await driver.applyDiff('top', 'mid', layerTar({
    'd1/': '', 'd1/.wh.a': '', 'd1/.wh.b': '', // every lower name removed: opaque
    'd2/': '', 'd2/.wh.b': '', // the only name left after mid's whiteout: opaque
    'd3/': '', 'd3/.wh.a': '', 'd3/new': 'n', // removed all, added another: opaque, then the add
    'd4/': '', 'd4/.wh..wh..opq': '', 'd4/z': 'z', // opaque over an empty dir: just the add
    'd5/': '', 'd5/.wh..wh..opq': '', 'd5/x': 'x2', // opaque keeping a lower name: y deleted, x modified
    'e/': '', 'e/.wh.k2': '', // mid's opaque dir emptied
    '.wh.f': '', 'f/': '', 'f/g': 'g', // a directory replaces a file
    'g/': '', 'g/h/': '', 'g/h/.wh.j': '', // the last name mid left
  }));
  for (const [id, parent] of [['mid', 'base'], ['top', 'mid']] as const) {
    const native = await bytesOf(await driver.diff(id, parent));
    const naive = await bytesOf(naiveDiff(layerTree(driver, parent), layerTree(driver, id)));
    t.true(native.equals(naive), `diff of ${id}`);
    t.deepEqual(await driver.changes(id, parent), await naiveChanges(layerTree(driver, parent), layerTree(driver, id)), `changes of ${id}`);
  }
  const names = (await tarNames(await driver.diff('top', 'mid'))).filter((n) => n.includes('.wh.'));
  t.deepEqual(names, ['d1/.wh..wh..opq', 'd2/.wh..wh..opq', 'd3/.wh..wh..opq', 'd5/.wh.y', 'e/.wh..wh..opq', 'g/h/.wh..wh..opq']);
});

async function tarNames(tar: Readable): Promise<string[]> {
  const names: string[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    names.push(header.name);
    stream.resume();
    stream.on('end', next);
  });
  tar.pipe(extract);
  await new Promise<void>((resolve, reject) => extract.on('finish', () => resolve()).on('error', reject));
  return names;
}
