import { join } from 'node:path';
import test from 'ava';
import { registerUnless } from '../../core/testkit/index.js';
import { configFor, smallLayer, writeDockerArchive } from './archives.js';
import { describeImageTree, driverUnmet, helloTar, scratch, strataAt, type Strata } from './support.js';

/** `system migrate --to` carries images and tags along: the same listing, inspect and tree. */

/** What a user sees of the store's images, minus what names the driver. */
async function view(strata: Strata, images: readonly string[]) {
  const listed = JSON.parse(await strata.ok('--json', 'images', '-a')) as Array<Record<string, unknown>>;
  const inspected = JSON.parse(await strata.ok('inspect', ...images)) as Array<Record<string, unknown>>;
  const trees: string[] = [];
  for (const image of images) {
    const mounted = (await strata.ok('image', 'mount', image)).trim();
    trees.push(await describeImageTree(mounted));
    await strata.ok('image', 'umount', image);
  }
  return { listed, inspected: inspected.map(({ GraphDriver: _, ...rest }) => rest), trees, drivers: inspected.map((i) => (i.GraphDriver as { Name: string }).Name) };
}

const reason = await driverUnmet('overlay');
registerUnless(test, reason === undefined ? undefined : { reason, prerequisite: true }, 'migrating vfs → overlay keeps images, tags, inspect and trees', async (t) => {
  const dir = await scratch(t, 'migrate');
  const root = join(dir, 'root');
  const vfs = strataAt(t, root, 'vfs');
  await vfs.ok('import', '-c', 'CMD ["/hello"]', await helloTar(dir), 'hello');
  await vfs.ok('tag', 'hello', 'localhost:5000/team/hello:t');
  const one = await smallLayer({ 'etc/one': '1\n', 'etc/motd': 'first\n' });
  const two = await smallLayer({ 'etc/motd': 'second\n', 'two/file': '2\n' });
  await writeDockerArchive(join(dir, 'two.tar'), { layers: [one, two], tags: ['two:1', 'two:latest'], config: configFor([one.diffId, two.diffId]) });
  await vfs.ok('load', '-i', join(dir, 'two.tar'));
  const images = ['hello', 'two:1'];
  const before = await view(vfs, images);
  t.deepEqual(before.drivers, ['vfs', 'vfs']);

  const moved = await vfs('system', 'migrate', '--to', 'overlay');
  t.is(moved.status, 0, moved.stderr);
  t.regex(moved.stdout, /^moved 3 layer\(s\) from vfs to overlay\n$/);

  const overlay = strataAt(t, root, 'overlay');
  const after = await view(overlay, images);
  t.deepEqual(after.drivers, ['overlay', 'overlay']);
  t.deepEqual(after.listed, before.listed);
  t.deepEqual(after.inspected, before.inspected);
  t.deepEqual(after.trees, before.trees);
  t.true(after.trees[1]!.includes('./etc/motd'));
  t.is((await overlay('system', 'check')).status, 0);
});
