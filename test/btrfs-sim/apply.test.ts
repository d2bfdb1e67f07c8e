import { Readable } from 'node:stream';
import test from 'ava';
import { freshDriver, extentFileCount, layerTar, sha256Of, storeCheck, textOf } from './fixtures.js';

test('an opaque marker after new files keeps what this layer wrote and hides the rest', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'd/old1' }, '1'], [{ name: 'd/sub/old2' }, '2']]));
  await driver.create('child', 'base', { writable: false });
  await driver.applyDiff('child', 'base', layerTar([[{ name: 'd/new' }, 'n'], [{ name: 'd/.wh..wh..opq' }]]));
  t.deepEqual(await driver.readdir('child', '/d'), ['new']);
  t.deepEqual(await driver.readdir('base', '/d'), ['old1', 'sub']);
});

test('missing parents take the lower layer\'s metadata; a whiteout under a file of this layer is a no-op', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'etc', type: 'directory', mode: 0o700, uid: 5, gid: 6 }]]));
  await driver.create('child', 'base', { writable: false });
  await driver.applyDiff('child', 'base', layerTar([[{ name: 'etc/x/y' }, 'y'], [{ name: 'file' }, 'f'], [{ name: 'file/.wh.z' }]]));
  const etc = await driver.stat('child', '/etc');
  t.like(etc, { mode: 0o700, uid: 5, gid: 6 });
  t.like(await driver.stat('child', '/etc/x'), { type: 'directory', mode: 0o755, uid: 0 });
  t.is(await textOf(await driver.read('child', '/file')), 'f');
});

test('hard links share one node and go back out as a link entry', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'a' }, 'shared'], [{ name: 'b', type: 'link', linkname: 'a' }]]));
  const [a, b] = [await driver.stat('base', '/a'), await driver.stat('base', '/b')];
  t.is(a?.ino, b?.ino);
  t.is(a?.nlink, 2);
  const usage = await driver.usage('base');
  t.is(usage.sharedBytes, 0, 'links inside one layer are its own, not shared');
  t.is(usage.inodes, 2, 'the root and the one file node both paths name');
  // Round trip: the diff applied to a fresh base gives the same tree and the same diff bytes.
  await driver.create('copy', null, { writable: false });
  const size = await driver.applyDiff('copy', null, await driver.diff('base', null));
  t.is(size, 'shared'.length, 'the content travels once');
  t.is(await sha256Of(await driver.diff('copy', null)), await sha256Of(await driver.diff('base', null)));
  t.is((await driver.stat('copy', '/b'))?.nlink, 2);
});

test('a truncated tar fails with EBADARCHIVE and leaves no layer content and no extent file', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  const chunks: Buffer[] = [];
  for await (const c of layerTar([[{ name: 'big' }, Buffer.alloc(3 * 1024 * 1024, 4)], [{ name: 'next' }, 'n']])) chunks.push(c as Buffer);
  const whole = Buffer.concat(chunks);
  const err = await t.throwsAsync(driver.applyDiff('base', null, Readable.from([whole.subarray(0, whole.length - 2048 - 700)])));
  t.is((err as { code?: string }).code, 'EBADARCHIVE');
  t.deepEqual(await driver.readdir('base', '/'), []);
  t.is(await extentFileCount(home), 0);
  t.deepEqual(await storeCheck(driver), []);
});

test('hostile entries are refused as core\'s extractor refuses them, naming the entry', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'dir', type: 'directory' }], [{ name: 'f' }, 'f']]));
  const cases: Array<[string, Parameters<typeof layerTar>[0], string]> = [
    ['a whiteout name as a directory', [[{ name: '.wh.x/y' }, 'y']], 'EUNSAFEARCHIVE'],
    ['a hardlink to a directory', [[{ name: 'l', type: 'link', linkname: 'dir' }]], 'EUNSAFEARCHIVE'],
    ['a hardlink to nothing', [[{ name: 'l', type: 'link', linkname: 'nowhere' }]], 'EBADARCHIVE'],
    ['a whiteout of ".."', [[{ name: 'dir/.wh...' }]], 'EUNSAFEARCHIVE'],
    ['a reserved xattr', [[{ name: 'x', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }, 'x']], 'EUNSAFEARCHIVE'],
    ['an unprivileged overlay\'s reserved xattr', [[{ name: 'u', pax: { 'SCHILY.xattr.user.overlay.redirect': '/x' } }, 'u']], 'EUNSAFEARCHIVE'],
    ['a file below a file', [[{ name: 'f/inner' }, 'i']], 'EUNSAFEARCHIVE'],
  ];
  for (const [what, items, code] of cases) {
    const id = `c${cases.findIndex((c) => c[0] === what)}`;
    await driver.create(id, 'base', { writable: false });
    const err = await t.throwsAsync(driver.applyDiff(id, 'base', layerTar(items)), undefined, what);
    t.is((err as { code?: string }).code, code, what);
    t.true(err!.message.includes(JSON.stringify(String(items[0]![0].name))), `${what}: ${err!.message}`);
    t.deepEqual(await driver.changes(id, 'base'), [], `${what}: nothing visible`);
  }
  t.deepEqual(await storeCheck(driver), []);
});
