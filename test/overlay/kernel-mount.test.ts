import test from 'ava';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DirectoryTree, ErrorCode, isMounted, naiveDiff } from '../../core/engine.js';
import { OverlayDriver } from '../../drivers/overlay/index.js';
import { bytesOf, describeTree, homeOf, layerTar, layerTree, newDriver, requireMounts } from './fixtures.js';
import { wrapDriver } from '../../core/engine.js';

const sh = promisify(execFile);

async function threeLayers(t: Parameters<typeof newDriver>[0]) {
  const driver = await newDriver(t);
  await driver.create('l1', null, { writable: false });
  await driver.applyDiff('l1', null, layerTar({
    'etc/': '', 'etc/motd': 'hello', 'etc/conf/': '', 'etc/conf/a': 'a', 'etc/conf/b': 'b', 'usr/': '', 'usr/bin/': '', 'usr/bin/tool': 'v1',
  }));
  await driver.create('l2', 'l1', { writable: false });
  await driver.applyDiff('l2', 'l1', layerTar({ 'usr/bin/tool': 'v2', 'usr/lib/': '', 'usr/lib/libx': 'x', 'var/': '', 'var/log/': '', 'var/log/old': 'old' }));
  await driver.create('l3', 'l2', { writable: false });
  await driver.applyDiff('l3', 'l2', layerTar({ 'etc/.wh.motd': '', 'home/': '', 'home/u/': '', 'home/u/notes': 'n' }));
  return driver;
}

test('a read-only layer mounts its union and refuses writes with EROFS', async (t) => {
  if (!(await requireMounts(t))) return;
  const driver = await threeLayers(t);
  const merged = await driver.mount('l3');
  t.deepEqual(await describeTree(new DirectoryTree(merged)), await describeTree(layerTree(driver, 'l3')));
  const err = await t.throwsAsync(writeFile(join(merged, 'new'), 'x'));
  t.is((err as NodeJS.ErrnoException).code, 'EROFS');
  const single = await driver.mount('l1');
  t.deepEqual((await sh('ls', [single])).stdout.split('\n').filter(Boolean), ['etc', 'usr']);
});

test('round trip: shell edits through a writable mount come out of diff and re-apply to the same tree', async (t) => {
  if (!(await requireMounts(t))) return;
  const driver = await threeLayers(t);
  await driver.create('rw', 'l3', { writable: true });
  const merged = await driver.mount('rw');
  await sh('sh', ['-c', [
    'set -e',
    'rm etc/conf/a',
    'mv usr/bin/tool usr/bin/tool2',
    'chmod 700 home/u/notes',
    'echo changed > var/log/old',
    'echo fresh > etc/new',
    'rm -rf usr/lib && mkdir usr/lib && echo y > usr/lib/liby',
    'mv var/log var/logs',
    'ln -s ../etc/new home/link',
    'rm -rf etc/conf/b',
  ].join('\n')], { cwd: merged });
  const seen = await describeTree(new DirectoryTree(merged));
  t.deepEqual(await describeTree(layerTree(driver, 'rw')), seen, 'lookups agree with the mounted view');
  await driver.unmount('rw');
  t.false(await isMounted(merged));

  const tar = await bytesOf(await driver.diff('rw', 'l3'));
  const naive = await bytesOf(naiveDiff(layerTree(driver, 'l3'), layerTree(driver, 'rw')));
  t.true(tar.equals(naive), 'native diff of kernel-made changes equals the naive diff');
  t.deepEqual(await driver.changes('rw', 'l3'), [
    { kind: 'C', path: '/etc' },
    { kind: 'C', path: '/etc/conf' },
    { kind: 'D', path: '/etc/conf/a' },
    { kind: 'D', path: '/etc/conf/b' },
    { kind: 'A', path: '/etc/new' },
    { kind: 'C', path: '/home' },
    { kind: 'A', path: '/home/link' },
    { kind: 'C', path: '/home/u/notes' },
    { kind: 'C', path: '/usr' },
    { kind: 'C', path: '/usr/bin' },
    { kind: 'D', path: '/usr/bin/tool' },
    { kind: 'A', path: '/usr/bin/tool2' },
    { kind: 'C', path: '/usr/lib' },
    { kind: 'D', path: '/usr/lib/libx' },
    { kind: 'A', path: '/usr/lib/liby' },
    { kind: 'C', path: '/var' },
    { kind: 'D', path: '/var/log' },
    { kind: 'A', path: '/var/logs' },
    { kind: 'A', path: '/var/logs/old' },
  ]);

  const other = await newDriver(t);
  let parent: string | null = null;
  for (const id of ['l1', 'l2', 'l3']) {
    await other.create(id, parent, { writable: false });
    await other.applyDiff(id, parent, await driver.diff(id, parent));
    parent = id;
  }
  await other.create('copy', 'l3', { writable: false });
  await other.applyDiff('copy', 'l3', await driver.diff('rw', 'l3'));
  t.deepEqual(await describeTree(layerTree(other, 'copy')), seen, 're-applied layer gives the tree the mount showed');
  const remounted = await other.mount('copy');
  t.deepEqual(await describeTree(new DirectoryTree(remounted)), seen, 'and so does its kernel mount');
});

test('mounts are reference-counted, and a mounted layer cannot be removed', async (t) => {
  if (!(await requireMounts(t))) return;
  const driver = await threeLayers(t);
  await driver.create('rw', 'l3', { writable: true });
  const a = await driver.mount('rw');
  t.is(await driver.mount('rw'), a);
  t.is(await driver.mountCount('rw'), 2);
  await t.throwsAsync(driver.remove('rw'), { code: ErrorCode.ELAYERBUSY });
  await driver.unmount('rw');
  t.true(await isMounted(a));
  await driver.unmount('rw');
  t.false(await isMounted(a));
  await driver.unmount('rw');
  t.is(await driver.mountCount('rw'), 0);
  await driver.remove('rw');
  t.false(await driver.exists('rw'));
});

test('lookups see what is written through a writable mount', async (t) => {
  if (!(await requireMounts(t))) return;
  const driver = await threeLayers(t);
  await driver.create('rw', 'l3', { writable: true });
  t.deepEqual(await driver.readdir('rw', '/etc'), ['conf']);
  const merged = await driver.mount('rw');
  await writeFile(join(merged, 'etc', 'added'), 'a');
  await sh('rm', ['-r', join(merged, 'etc', 'conf')]);
  t.deepEqual(await driver.readdir('rw', '/etc'), ['added']);
  t.is(await driver.stat('rw', '/etc/conf/a'), undefined);
  t.is((await bytesOf(await driver.read('rw', '/etc/added'))).toString(), 'a');
});

test('init cleans stale mounts: mounted with no count, or counted but not mounted', async (t) => {
  if (!(await requireMounts(t))) return;
  const driver = await threeLayers(t);
  const home = homeOf(driver);
  const merged = await driver.mount('l3');
  await driver.mount('l2');
  await sh('umount', [join(home, 'layers', 'l2', 'merged')]); // as if the machine rebooted under l2's mount
  await writeFile(join(home, 'counts', 'l3'), '0\n'); // as if a crash lost l3's count
  const reopened = wrapDriver((c) => new OverlayDriver(c), home);
  await reopened.init();
  t.false(await isMounted(merged));
  t.is(await reopened.mountCount('l2'), 0);
  t.is(await reopened.mountCount('l3'), 0);
  t.truthy(await readFile(join(home, 'layers', 'l3', 'link'), 'utf8'));
});
