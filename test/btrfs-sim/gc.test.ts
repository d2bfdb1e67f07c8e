import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { isStrataError, wrapDriver } from '../../core/engine.js';
import { BtrfsSimDriver } from '../../drivers/btrfs-sim/index.js';
import { extentFileCount, freshDriver, layerTar, storeCheck } from './fixtures.js';
import { layerOps, tarItemsOf } from './random-layers.js';

/** A step of a random store history: create a layer (on a random existing one or as a base) and fill it, or remove a random layer. */
const step = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), parent: fc.nat(), base: fc.boolean(), ops: layerOps }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

/** Rows of the store and the bytes they account for (node bodies plus extent contents). */
function storeCounts(home: string): { nodes: number; extents: number; bytes: number } {
  const db = new Database(join(home, 'btrfs-sim.db'), { readonly: true });
  try {
    const value = (sql: string): number => (db.prepare(sql).get() as { n: number | null }).n ?? 0;
    return {
      nodes: value('SELECT count(*) AS n FROM nodes'),
      extents: value('SELECT count(*) AS n FROM extents'),
      bytes: value('SELECT sum(length(body)) AS n FROM nodes') + value('SELECT sum(size) AS n FROM extents'),
    };
  } finally {
    db.close();
  }
}

test('removing layers in any order leaves no unreferenced node or extent', async (t) => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { minLength: 12, maxLength: 12 }), async (steps, order) => {
      const { driver, home } = await freshDriver(t);
      const live: string[] = [];
      let made = 0;
      for (const s of steps) {
        if (s.kind === 'create') {
          const id = `l${run}x${made++}`;
          const parent = s.base || live.length === 0 ? null : live[s.parent % live.length]!;
          await driver.create(id, parent, { writable: true });
          live.push(id);
          await driver.applyDiff(id, parent, layerTar(tarItemsOf(s.ops))).catch((err: unknown) => {
            if (!isStrataError(err, 'EUNSAFEARCHIVE')) throw err;
          });
        } else if (live.length > 0) {
          const id = live[s.pick % live.length]!;
          const removed = await driver.remove(id).then(
            () => true,
            (err: unknown) => {
              if (!isStrataError(err, 'ELAYERHASCHILDREN')) throw err;
              return false;
            },
          );
          if (removed) live.splice(live.indexOf(id), 1);
        }
        t.deepEqual(await storeCheck(driver), []);
      }
      // Remove everything: each round starts at a position chosen by `order` and removes the first layer without children from there.
      let k = 0;
      while (live.length > 0) {
        let idx = order[k++ % order.length]! % live.length;
        for (;;) {
          const usage = await driver.usage(live[idx]!);
          const before = storeCounts(home);
          const removed = await driver.remove(live[idx]!).then(() => true, (err: unknown) => (isStrataError(err, 'ELAYERHASCHILDREN') ? false : Promise.reject(err)));
          if (removed) {
            const after = storeCounts(home);
            t.is(before.bytes - after.bytes, usage.bytes, 'usage().bytes is exactly what removing the layer frees');
            t.is(before.nodes - after.nodes, usage.inodes);
            break;
          }
          idx = (idx + 1) % live.length;
        }
        live.splice(idx, 1);
        t.deepEqual(await storeCheck(driver), []);
      }
      run++;
      t.deepEqual(storeCounts(home), { nodes: 0, extents: 0, bytes: 0 });
      t.is(await extentFileCount(home), 0);
      return true;
    }),
    { numRuns: 25 },
  );
});

test('init finishes an interrupted garbage collection and sweeps extents of an interrupted write', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('a', null, { writable: false });
  await driver.applyDiff('a', null, layerTar([[{ name: 'big' }, Buffer.alloc(3 * 1024 * 1024, 1)]]));
  await driver.create('b', null, { writable: false });
  await driver.applyDiff('b', null, layerTar([[{ name: 'other' }, Buffer.alloc(2 * 1024 * 1024, 2)]]));
  t.is(await extentFileCount(home), 2); // equal 1 MiB pieces are one extent
  const db = new Database(join(home, 'btrfs-sim.db'));
  // A crash after the GC transaction of "remove a" committed but before its files went:
  const extents = db.prepare<[], { id: string }>('SELECT id FROM extents').all();
  db.transaction(() => {
    for (const { id } of extents) db.prepare('INSERT INTO dead_extents (id) VALUES (?)').run(id);
  })();
  db.close();
  // ...and a crash in the middle of a write: an extent file no row knows, a temp file.
  const stray = 'ab'.repeat(32);
  await mkdir(join(home, 'extents', 'ab'), { recursive: true });
  await writeFile(join(home, 'extents', 'ab', stray), 'half');
  await writeFile(join(home, 'extents', 'tmp', 'partial'), 'half');
  t.is(await extentFileCount(home), 3);
  await driver.close();
  const reopened = wrapDriver((c) => new BtrfsSimDriver(c), home);
  t.teardown(() => reopened.close());
  await reopened.init();
  t.deepEqual(await storeCheck(reopened), [], 'a dead-listed extent that is still referenced is kept');
  t.is(await extentFileCount(home), 2);
  t.deepEqual(await readdir(join(home, 'extents', 'tmp')), []);
  await reopened.remove('a');
  t.is(await extentFileCount(home), 1);
  t.deepEqual(await storeCheck(reopened), []);
});
