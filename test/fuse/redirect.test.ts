import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { naiveChanges, naiveDiff, sys } from '../../core/engine.js';
import type { DriverRuntime } from '../../core/engine.js';
import { snapshotTree } from '../../core/testkit/index.js';
import { layerTar, layerTree } from '../overlay/fixtures.js';
import { bytesOf, newDriver, sh, testNeedingAll } from './fixtures.js';

// Renaming a directory that comes from a lower layer: a redirect in the upper layer (as overlayfs'
// redirect_dir=on), never a copy of the subtree; reads, st_ino, hard links and the layer's diff as if copied.

/** A lower tree with a subtree of every kind of entry: 24 directories, 480 files, hard links, symlinks, modes, an xattr. */
const BASE = `
mkdir -p big/deep/er a/d/sub x p/q
for i in $(seq 1 24); do mkdir big/d$i; for j in $(seq 1 20); do echo "$i.$j" > big/d$i/f$j; done; done
echo linked > big/deep/er/one && ln big/deep/er/one big/deep/two && ln big/deep/er/one big/three
ln -s ../three big/deep/rel && ln -s /etc/passwd big/abs
chmod 700 big/d1 && chmod 600 big/d2/f1 && chmod 4755 big/d3/f1 && chmod 1777 big/deep
setfattr -n user.note -v kept big/d4/f4
echo f > a/d/f && echo g > a/d/g && echo h > a/d/sub/h
echo r > p/q/r && echo s > p/s
touch -h -d @1700000000 $(find . -mindepth 1)
`;

/** A writable layer on parent (null: base) changed by script through a mount, then sealed. */
async function layer(driver: DriverRuntime, id: string, parent: string | null, script: string, seal = true): Promise<void> {
  await driver.create(id, parent, { writable: true });
  await sh(await driver.mount(id), script);
  await driver.unmount(id);
  if (seal) await driver.commit(id);
}

/** Every entry under dir of a mount, as programs see it: type, mode, links, st_ino, link target, size; then every file's hash. */
function listing(mnt: string, dir: string): Promise<string> {
  return sh(join(mnt, dir), `find . -mindepth 1 -printf '%P %y %m %n %i %l %s\\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum`);
}

/** What the layer's upper directory itself holds (relative paths, sorted): '+' marks a whiteout. */
async function upperEntries(driver: DriverRuntime, id: string): Promise<string[]> {
  const out = await sh(await diffDir(driver, id), `find . -mindepth 1 -printf '%P%y\\n' | sed -e 's/c$/+/' -e 's/[a-z]$//' | sort`);
  return out.trim().split('\n').filter((l) => l !== '');
}

/** The upper directory of layer id (a mount point is `<home>/layers/<id>/merged`, beside it). */
async function diffDir(driver: DriverRuntime, id: string): Promise<string> {
  const mnt = await driver.mount(id);
  await driver.unmount(id);
  return join(mnt, '..', 'diff');
}

function redirectOf(fsPath: string): string | undefined {
  return (sys.lgetxattr(fsPath, 'trusted.overlay.redirect') ?? sys.lgetxattr(fsPath, 'user.overlay.redirect'))?.toString();
}

/**
 * The layer's diff over its parent is core's naive diff of the two unions, byte for byte (and its changes
 * too); applied on the parent in a fresh layer, it gives the same tree as the layer's union.
 */
async function checkDiff(t: ExecutionContext, driver: DriverRuntime, id: string, parent: string): Promise<void> {
  const native = await bytesOf(await driver.diff(id, parent));
  const naive = await bytesOf(naiveDiff(layerTree(driver, parent), layerTree(driver, id)));
  t.true(native.equals(naive), `${id}: the native diff is the naive diff`);
  t.deepEqual(await driver.changes(id, parent), await naiveChanges(layerTree(driver, parent), layerTree(driver, id)), `${id}: the same changes`);
  const copy = `${id}applied`;
  await driver.create(copy, parent, { writable: false });
  await driver.applyDiff(copy, parent, Readable.from([native]));
  t.deepEqual(await snapshotTree(layerTree(driver, copy)), await snapshotTree(layerTree(driver, id)), `${id}: its diff applied on ${parent} gives the same tree`);
}

await testNeedingAll(test, ['fuse', 'root'], 'renaming a lower directory with a large subtree writes a redirect and a whiteout only; the tree reads the same; GNU tar right after', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  await layer(fuse, 'base', null, BASE);
  await fuse.create('rw', 'base', { writable: true });
  const mnt = await fuse.mount('rw');
  const before = await listing(mnt, 'big');
  t.true(before.split('\n').length > 500, 'a large subtree');
  // tar right after the rename, and after a change inside the renamed tree
  await sh(mnt, 'T=$(mktemp); trap "rm -f $T" EXIT; mv big moved; tar -cf $T .; echo more >> moved/d5/f5; tar -cf $T .');
  await sh(mnt, 'echo 5.5 > moved/d5/f5 && touch -d @1700000000 moved/d5/f5');
  t.is(await listing(mnt, 'moved'), before, 'contents, modes, link counts, st_ino, symlinks: as before');
  t.is(await sh(mnt, 'stat -c %i moved/deep/er/one moved/deep/two moved/three | uniq | wc -l'), '1\n', 'hard links stay one file');
  t.is(await sh(mnt, 'ls big 2>&1 || echo gone'), "ls: cannot access 'big': No such file or directory\ngone\n");
  await fuse.unmount('rw');
  const upper = await diffDir(fuse, 'rw');
  t.deepEqual(await upperEntries(fuse, 'rw'), ['big+', 'moved', 'moved/d5', 'moved/d5/f5'], 'the upper holds the redirect dir, the whiteout and the one changed file');
  t.is(redirectOf(join(upper, 'moved')), 'big', 'a bare name: renamed within one directory');
  await checkDiff(t, fuse, 'rw', 'base');
});

await testNeedingAll(test, ['fuse', 'root'], 'rename again, across directories; delete and add inside; create the old name again', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  await layer(fuse, 'base', null, BASE);
  await layer(fuse, 'rw', 'base', 'mv a/d a/e && mv a/e x/d2 && rm x/d2/f && echo new > x/d2/new && mkdir a/d && echo again > a/d/f && mkdir n && echo 1 > n/one && mv n x/n2', false);
  const mnt = await fuse.mount('rw');
  t.is(await sh(mnt, 'find a x | LC_ALL=C sort'), 'a\na/d\na/d/f\nx\nx/d2\nx/d2/g\nx/d2/new\nx/d2/sub\nx/d2/sub/h\nx/n2\nx/n2/one\n');
  t.is(await sh(mnt, 'cat x/d2/g x/d2/sub/h a/d/f'), 'g\nh\nagain\n');
  await fuse.unmount('rw');
  const upper = await diffDir(fuse, 'rw');
  t.is(redirectOf(join(upper, 'x/d2')), '/a/d', 'an absolute path: renamed across directories');
  t.is(redirectOf(join(upper, 'a/d')), undefined, 'the old name made again is a new (opaque) directory');
  t.false(await readdir(join(upper, 'x/d2')).then((n) => n.includes('g')), 'nothing copied');
  t.is(redirectOf(join(upper, 'x/n2')), undefined, 'a directory only the upper holds renames plainly');
  t.deepEqual(await readdir(join(upper, 'x/n2')), ['one']);
  await checkDiff(t, fuse, 'rw', 'base');
});

await testNeedingAll(test, ['fuse', 'root'], 'a renamed directory inside a renamed directory, changed inside; a directory renamed back to its name', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  await layer(fuse, 'base', null, BASE);
  await layer(fuse, 'rw', 'base', 'mv p p2 && mv p2/q p2/q2 && echo m >> p2/q2/r && chmod 700 p2/s && mv a a2 && mv a2 a && mv a/d/sub a/d/sub2', false);
  const mnt = await fuse.mount('rw');
  t.is(await sh(mnt, 'find p2 a | LC_ALL=C sort'), 'a\na/d\na/d/f\na/d/g\na/d/sub2\na/d/sub2/h\np2\np2/q2\np2/q2/r\np2/s\n');
  t.is(await sh(mnt, 'cat p2/q2/r a/d/sub2/h && stat -c %a p2/s'), 'r\nm\nh\n700\n');
  await fuse.unmount('rw');
  const upper = await diffDir(fuse, 'rw');
  t.is(redirectOf(join(upper, 'p2')), 'p');
  t.is(redirectOf(join(upper, 'p2/q2')), 'q', 'nested: a name relative to where the parent continues');
  t.is(redirectOf(join(upper, 'a')), undefined, 'renamed back: no redirect');
  t.is(redirectOf(join(upper, 'a/d/sub2')), 'sub');
  t.false((await upperEntries(fuse, 'rw')).some((e) => e.startsWith('a2')), 'and no trace of the name in between');
  await checkDiff(t, fuse, 'rw', 'base');
});

await testNeedingAll(test, ['fuse', 'root'], 'redirects chain across layers: a layer renames a directory another layer renamed', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  await layer(fuse, 'base', null, BASE);
  await layer(fuse, 'c1', 'base', 'mv a/d a/e && mv p p2 && echo one > p2/q/one');
  await layer(fuse, 'rw', 'c1', 'mv a/e x/e2 && mv p2 p3 && mv p3/q p3/q3 && rm p3/q3/r && echo z > x/e2/sub/z', false);
  const mnt = await fuse.mount('rw');
  t.is(await sh(mnt, 'find a x p3 | LC_ALL=C sort'), 'a\np3\np3/q3\np3/q3/one\np3/s\nx\nx/e2\nx/e2/f\nx/e2/g\nx/e2/sub\nx/e2/sub/h\nx/e2/sub/z\n');
  t.is(await sh(mnt, 'cat x/e2/f p3/q3/one'), 'f\none\n');
  t.is(await sh(mnt, 'tar -cf - . | tar -tf - | wc -l'), `${(await sh(mnt, 'find . | wc -l')).trim()}\n`, 'tar reads every entry');
  await fuse.unmount('rw');
  const upper = await diffDir(fuse, 'rw');
  t.is(redirectOf(join(upper, 'x/e2')), '/a/e', 'a path of the union right below');
  t.is(redirectOf(join(upper, 'p3')), 'p2');
  await checkDiff(t, fuse, 'c1', 'base');
  await checkDiff(t, fuse, 'rw', 'c1');
});

await testNeedingAll(test, ['root'], "core's union and native diff read redirects as kernel overlayfs writes them: absolute, nested relative, onto a file (ignored), with an opaque marker (opaque wins)", async (t) => {
  const fuse = await newDriver(t, 'fuse');
  await fuse.create('base', null, { writable: false });
  await fuse.applyDiff('base', null, layerTar({ 'a/': '', 'a/d/': '', 'a/d/f': 'f', 'a/d/s/': '', 'a/d/s/g': 'g', 'b/': '', 'b/x': 'x', 'file': 'file' }));
  await fuse.create('up', 'base', { writable: false });
  const upper = await diffDir(fuse, 'up');
  // what `mv a/d m; mv m/s m/s2; mv b o; mv b2 ...` leaves in an upper directory under redirect_dir=on
  await sh(upper, `mkdir -p m/s2 o p q a && mknod a/d c 0 0 && mknod b c 0 0
    setfattr -n trusted.overlay.redirect -v /a/d m && setfattr -n trusted.overlay.redirect -v s m/s2 && mknod m/s c 0 0
    setfattr -n trusted.overlay.redirect -v /b o && setfattr -n trusted.overlay.opaque -v y o
    setfattr -n trusted.overlay.redirect -v /file p && setfattr -n trusted.overlay.redirect -v ../b q
    echo own > m/own`);
  const tree = layerTree(fuse, 'up');
  t.deepEqual(await tree.readdir('/'), ['a', 'file', 'm', 'o', 'p', 'q']);
  t.deepEqual(await tree.readdir('/m'), ['f', 'own', 's2']);
  t.deepEqual(await tree.readdir('/m/s2'), ['g']);
  t.deepEqual(await tree.readdir('/o'), [], 'opaque wins over a redirect');
  t.deepEqual(await tree.readdir('/p'), [], 'a redirect to a file merges nothing');
  t.deepEqual(await tree.readdir('/q'), [], 'a relative redirect with a slash is not followed');
  await checkDiff(t, fuse, 'up', 'base');
});
