import { join } from 'node:path';
import test from 'ava';
import { smallLayer, writeDockerArchive } from './archives.js';
import { blobFiles, layerIds, scratch, strataAt, tableRows, type Strata } from './support.js';

/** `system df`, `rmi` and `prune` agree on sizes: what df calls reclaimable is what removal frees. */

interface Df {
  summary: Array<{ type: string; total: number; size: number; reclaimable: number }>;
  images: Array<{ id: string; size: number; shared: number; unique: number }>;
}

async function df(strata: Strata): Promise<Df> {
  return JSON.parse(await strata.ok('--json', 'system', 'df', '-v')) as Df;
}

const imagesRow = (d: Df) => d.summary.find((r) => r.type === 'Images')!;

test('df counts a shared layer once; rmi frees the unique size df showed; prune frees exactly the reclaimable size', async (t) => {
  const dir = await scratch(t, 'df');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const shared = await smallLayer({ 'base/a': 'a'.repeat(300) });
  const onlyX = await smallLayer({ 'x/b': 'b'.repeat(1000) });
  const onlyY = await smallLayer({ 'y/c': 'c'.repeat(2500) });
  const xId = await writeDockerArchive(join(dir, 'x.tar'), { layers: [shared, onlyX], tags: ['x:1'] });
  const yId = await writeDockerArchive(join(dir, 'y.tar'), { layers: [shared, onlyY], tags: ['y:1'] });
  await strata.ok('load', '-i', join(dir, 'x.tar'));
  await strata.ok('load', '-i', join(dir, 'y.tar'));

  const before = await df(strata);
  t.deepEqual(imagesRow(before), { type: 'Images', total: 2, active: 0, size: 300 + 1000 + 2500, reclaimable: 3800 } as never);
  const perImage = new Map(before.images.map((i) => [i.id, i]));
  t.like(perImage.get(xId), { size: 1300, shared: 300, unique: 1000 });
  t.like(perImage.get(yId), { size: 2800, shared: 300, unique: 2500 });
  // The table says the same in Docker's units.
  const table = tableRows(await strata.ok('system', 'df'));
  t.deepEqual(table[0], ['Images', '2', '0', '3.8kB', '3.8kB (100%)']);
  const verbose = await strata.ok('system', 'df', '-v');
  const yRow = verbose.split('\n').map((l) => l.trim().split(/ {2,}/)).find((r) => r[0] === 'y');
  t.deepEqual(yRow?.slice(4), ['2.8kB', '300B', '2.5kB', '0'], verbose);
  // CREATED is the image's (its config's), as in `images`.
  t.is(yRow?.[3], tableRows(await strata.ok('images', 'y')).at(0)?.[3]);

  // rmi y: its unique layer goes, the shared one stays; df drops by y's unique size.
  const removed = await strata.ok('rmi', 'y:1');
  t.true(removed.startsWith(`Untagged: y:1\nDeleted: ${yId}\n`), removed);
  const afterRmi = await df(strata);
  t.is(imagesRow(before).size - imagesRow(afterRmi).size, perImage.get(yId)!.unique);
  t.like(afterRmi.images.find((i) => i.id === xId), { size: 1300, shared: 0, unique: 1300 });

  // prune -a: reclaims exactly what df called reclaimable, and df then shows nothing.
  const reclaimable = imagesRow(afterRmi).reclaimable;
  const pruned = JSON.parse(await strata.ok('--json', 'image', 'prune', '-a', '-f')) as { reclaimed: number };
  t.is(pruned.reclaimed, reclaimable);
  const afterPrune = await df(strata);
  t.is(imagesRow(afterRmi).size - imagesRow(afterPrune).size, pruned.reclaimed);
  t.deepEqual(imagesRow(afterPrune), { type: 'Images', total: 0, active: 0, size: 0, reclaimable: 0 } as never);
  t.deepEqual(await layerIds(strata), []);
  t.deepEqual(await blobFiles(strata.root), []);
});

test('image prune (dangling only) reclaims the layers only the dangling image held', async (t) => {
  const dir = await scratch(t, 'dangling');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const kept = await smallLayer({ keep: 'k'.repeat(700) });
  const lost = await smallLayer({ lost: 'l'.repeat(1234) });
  await writeDockerArchive(join(dir, 'kept.tar'), { layers: [kept], tags: ['kept:1'] });
  const danglingId = await writeDockerArchive(join(dir, 'lost.tar'), { layers: [lost], tags: [] });
  await strata.ok('load', '-i', join(dir, 'kept.tar'));
  t.is(await strata.ok('load', '-i', join(dir, 'lost.tar')), `Loaded image ID: ${danglingId}\n`);
  const before = imagesRow(await df(strata));
  t.is(before.size, 700 + 1234);

  const printed = await strata.ok('image', 'prune', '-f');
  t.is(printed, `Deleted Images:\ndeleted: ${danglingId}\ndeleted: ${lost.diffId}\n\nTotal reclaimed space: 1.234kB\n`);
  const after = imagesRow(await df(strata));
  t.is(before.size - after.size, 1234);
  t.is(after.total, 1);
});
