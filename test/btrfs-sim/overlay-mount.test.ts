import { link, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BtrfsSimDriver } from '../../drivers/btrfs-sim/index.js';
import { wrapDriver } from '../../core/engine.js';
import { testNeeding, unmet } from '../helpers/prerequisites.js';
import { freshDriver, layerTar, storeCheck, textOf } from './fixtures.js';

// Probe every need before registering: ava wants all tests declared in one go.
await unmet('overlay');

const base = (): ReturnType<typeof layerTar> => layerTar([
  [{ name: 'a', type: 'directory', mode: 0o755 }],
  [{ name: 'a/b', type: 'directory', mode: 0o755 }],
  [{ name: 'a/b/f' }, 'f'],
  [{ name: 'x', type: 'directory', mode: 0o755 }],
  [{ name: 'x/g' }, 'g'],
  [{ name: 'x/h' }, 'h'],
  [{ name: 'top' }, 'top'],
]);

await testNeeding(test, 'overlay', 'directories renamed, replaced and linked through a writable mount fold back as processes saw them', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, base());
  await driver.create('box', 'base', { writable: true });
  const dir = await driver.mount('box');
  await rename(join(dir, 'a'), join(dir, 'a2'));
  await rename(join(dir, 'x'), join(dir, 'a2/b/x2'));
  await writeFile(join(dir, 'a2/b/x2/new'), 'new');
  await rm(join(dir, 'top'));
  await mkdir(join(dir, 'top'));
  await writeFile(join(dir, 'top/inside'), 'inside');
  await link(join(dir, 'a2/b/x2/new'), join(dir, 'alias'));
  await driver.unmount('box');
  t.deepEqual(await driver.readdir('box', '/'), ['a2', 'alias', 'top']);
  t.deepEqual(await driver.readdir('box', '/a2/b'), ['f', 'x2'], 'the renamed directory keeps its lower content');
  t.deepEqual(await driver.readdir('box', '/a2/b/x2'), ['g', 'h', 'new'], 'a directory moved into it too');
  t.is(await textOf(await driver.read('box', '/a2/b/x2/g')), 'g');
  t.deepEqual(await driver.readdir('box', '/top'), ['inside']);
  const alias = await driver.stat('box', '/alias');
  t.is(alias?.nlink, 2);
  t.is(alias?.ino, (await driver.stat('box', '/a2/b/x2/new'))?.ino, 'the hard link is one file');
  t.deepEqual(await driver.readdir('base', '/'), ['a', 'top', 'x'], 'the parent is untouched');
  t.deepEqual(await storeCheck(driver), []);
});

await testNeeding(test, 'overlay', 'changes of several mounts of one writable layer add up; commit and remove leave no materialised tree behind', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, base());
  await driver.create('box', 'base', { writable: true });
  let dir = await driver.mount('box');
  await writeFile(join(dir, 'first'), 'one');
  await driver.unmount('box');
  dir = await driver.mount('box');
  t.is(await textOf(await driver.read('box', '/first')), 'one', 'a remount shows what the last one wrote');
  await writeFile(join(dir, 'second'), 'two');
  await rm(join(dir, 'x/g'));
  await driver.unmount('box');
  t.deepEqual(await driver.changes('box', 'base'), [
    { kind: 'A', path: '/first' },
    { kind: 'A', path: '/second' },
    { kind: 'C', path: '/x' },
    { kind: 'D', path: '/x/g' },
  ]);
  await driver.create('other', 'base', { writable: true });
  await driver.mount('other');
  t.is((await readdir(join(home, 'trees'))).length, 1, 'two writable layers over one base share its materialised tree');
  await driver.unmount('other');
  await driver.remove('other');
  await driver.commit('box');
  t.deepEqual(await readdir(join(home, 'uppers')), [], 'commit ends the upper');
  t.deepEqual(await driver.changes('box', 'base'), [
    { kind: 'A', path: '/first' },
    { kind: 'A', path: '/second' },
    { kind: 'C', path: '/x' },
    { kind: 'D', path: '/x/g' },
  ], 'a sealed layer keeps its content');
  await driver.remove('box');
  await driver.remove('base');
  t.deepEqual(await readdir(join(home, 'trees')), [], 'no layer left to mount a materialised tree');
  t.deepEqual(await storeCheck(driver), []);
});

await testNeeding(test, 'overlay', 'a writable mount lost with its driver (a reboot) is folded back by the next init', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('box', null, { writable: true });
  const dir = await driver.mount('box');
  await writeFile(join(dir, 'kept'), 'kept');
  await driver.close();
  const { unmountPath } = await import('../../core/kit.js');
  await unmountPath(dir);
  const other = wrapDriver((c) => new BtrfsSimDriver(c), home);
  await other.init();
  t.is(await other.mountCount('box'), 0);
  t.is(await textOf(await other.read('box', '/kept')), 'kept');
  t.deepEqual(await (other.inner as BtrfsSimDriver).check(), []);
  await other.close();
});
