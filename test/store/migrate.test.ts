import test from 'ava';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import tar from 'tar-stream';
import { Store, migrateRoot, type StrataConfig } from '../../core/engine.js';
import { snapshotTree } from '../../core/testkit/index.js';
import { builtinDriverModules } from '../../drivers/index.js';
import { CLI, runCli } from '../cli/run-cli.js';
import { testNeeding } from '../helpers/prerequisites.js';
import { collect, tempDir } from './store-fixture.js';

type Item = [Partial<tar.Header> & { name: string }, (string | Buffer)?];

function layerTar(items: readonly Item[]): Readable {
  const pack = tar.pack();
  for (const [header, body] of items) pack.entry({ ...{ mtime: new Date(1_700_000_000_000), mode: 0o644, uid: 0, gid: 0 }, ...header }, body ?? '');
  pack.finalize();
  return Readable.from(pack);
}

const STACK: readonly (readonly Item[])[] = [
  [
    [{ name: 'etc/', type: 'directory', mode: 0o755 }], [{ name: 'etc/a' }, 'a'], [{ name: 'etc/b' }, 'b'],
    [{ name: 'bin/', type: 'directory', mode: 0o755 }], [{ name: 'bin/su', mode: 0o4755 }, '#!/bin/sh\n'],
    [{ name: 'usr/', type: 'directory', mode: 0o755 }], [{ name: 'usr/lib/', type: 'directory', mode: 0o755 }], [{ name: 'usr/lib/x', uid: 1000, gid: 1000 }, 'x'],
    [{ name: 'lib', type: 'symlink', linkname: 'usr/lib' }],
  ],
  [[{ name: 'etc/a' }, 'changed'], [{ name: 'etc/.wh.b' }], [{ name: 'opt/', type: 'directory', mode: 0o755 }], [{ name: 'opt/d/', type: 'directory', mode: 0o700 }], [{ name: 'opt/d/f' }, 'f']],
  [[{ name: 'opt/d/', type: 'directory', mode: 0o755 }], [{ name: 'opt/d/.wh..wh..opq' }], [{ name: 'opt/d/g' }, 'g'], [{ name: 'etc/a2', type: 'link', linkname: 'etc/a' }]],
  [[{ name: 'data/', type: 'directory', mode: 0o755 }], [{ name: 'data/blob' }, randomBytes(3 << 20)]],
];

function config(root: string, driver: string): StrataConfig {
  return { root, driver, plugins: [], driverOptions: {} };
}

/** Every layer's id, diff digest and (for the top) union snapshot. */
async function fingerprint(root: string, driver: string) {
  const store = await Store.open({ config: config(root, driver), driverModules: builtinDriverModules });
  try {
    const layers = store.layers.list();
    const diffs: Record<string, string> = {};
    for (const l of layers) diffs[l.id] = createHash('sha256').update(await collect(await store.layers.diff(l.id))).digest('hex');
    const top = layers.find((l) => !layers.some((o) => o.parent === l.id))!;
    const union = await snapshotTree(await store.root.driver.reader(store.layers.rows().find((r) => r.id === top.id)!.driver_id));
    return { ids: layers.map((l) => [l.id, l.parent, l.diffId, l.chainId, l.writable]), diffs, union, failures: await store.layers.check() };
  } finally {
    await store.close();
  }
}

/** A 5-layer stack: four imported tars and one layer changed through a mount and committed. */
async function makeStack(root: string, driver: string, items: readonly (readonly Item[])[] = STACK): Promise<void> {
  const store = await Store.open({ config: config(root, driver), driverModules: builtinDriverModules });
  try {
    let parent: string | undefined;
    for (const layer of items) parent = (await store.layers.importLayer(layerTar(layer), parent === undefined ? {} : { parent })).id;
    const rw = await store.layers.createLayer({ parent: parent!, writable: true });
    const path = await store.layers.mount(rw.id);
    await writeFile(join(path, 'committed'), 'made in a container');
    await store.layers.unmount(rw.id);
    await store.layers.commit(rw.id);
  } finally {
    await store.close();
  }
}

await testNeeding(test, 'fuse', 'a migration round trip vfs → overlay → fuse → btrfs-sim → vfs keeps every id, every diff byte and the union', async (t) => {
  const root = await tempDir(t);
  await makeStack(root, 'vfs');
  const original = await fingerprint(root, 'vfs');
  t.is(original.ids.length, 5);
  t.deepEqual(original.failures, []);
  for (const to of ['overlay', 'fuse', 'btrfs-sim', 'vfs']) {
    const report = await migrateRoot({ config: config(root, to), driverModules: builtinDriverModules }, to);
    t.is(report.copied, 5, `5 layers copied to ${to}`);
    t.deepEqual(await fingerprint(root, to), original, `everything is the same in ${to}`);
  }
});

test('opening a root with another driver names the driver that holds it and the migrate command', async (t) => {
  const root = await tempDir(t);
  t.is((await runCli(['--root', root, '--driver', 'vfs', 'layer', 'create'])).status, 0);
  const wrong = await runCli(['--root', root, '--driver', 'btrfs-sim', 'layer', 'ls']);
  t.is(wrong.status, 2);
  t.regex(wrong.stderr, /^strata: store .* holds its content in driver vfs, not btrfs-sim: use --driver vfs, or move it with `strata system migrate --to btrfs-sim`\n$/);
  const moved = await runCli(['--root', root, 'system', 'migrate', '--to', 'btrfs-sim']);
  t.is(moved.status, 0, moved.stderr);
  t.is(moved.stdout, 'moved 1 layer(s) from vfs to btrfs-sim\n');
  t.is((await runCli(['--root', root, '--driver', 'btrfs-sim', 'layer', 'ls'])).status, 0);
});

test('kill -9 during a migration, then the same command again: nothing lost or duplicated', async (t) => {
  const root = await tempDir(t);
  const big: Item[][] = Array.from({ length: 4 }, (_, i) => [[{ name: `big${i}` }, randomBytes(24 << 20)]]);
  await makeStack(root, 'vfs', big);
  const original = await fingerprint(root, 'vfs');
  const child = spawn(process.execPath, [CLI, '--root', root, 'system', 'migrate', '--to', 'btrfs-sim'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  const db = new Database(join(root, 'strata.db'), { readonly: true, fileMustExist: true });
  try {
    for (let i = 0; i < 6000; i++) {
      const copied = (db.prepare('SELECT count(*) AS n FROM migrated_layers').get() as { n: number } | undefined)?.n ?? 0;
      if (copied >= 1) break;
      await sleep(5);
    }
  } finally {
    db.close();
  }
  child.kill('SIGKILL');
  t.is(await exited, 'SIGKILL', 'killed before it finished');
  const again = await runCli(['--root', root, 'system', 'migrate', '--to', 'btrfs-sim']);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stdout, /^moved 5 layer\(s\) from vfs to btrfs-sim \([1-4] copied by an earlier, interrupted run\)\n$/);
  t.deepEqual(await fingerprint(root, 'btrfs-sim'), original);
});
