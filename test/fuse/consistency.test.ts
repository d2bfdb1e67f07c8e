import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerTar } from '../overlay/fixtures.js';
import type { Spec } from '../overlay/fixtures.js';
import { newDriver, run, sh, testNeedingAll } from './fixtures.js';
import type { StorageDriver } from '../../core/index.js';

// Programs that compare two stats of one entry (tar's "file changed as we read it", rsync, git's racy
// checks) run right after changes that copy lower directories up: a copy-up must not change what the
// kernel has cached about an entry behind its back.

const BASE: Spec = {
  'a/': '', 'a/b/': '', 'a/b/f': 'f\n', 'a/b/g': 'g\n', 'a/c': 'c\n', 'm/': '', 'm/x': 'x\n', 'm/y': 'y\n',
  'm/deep/': '', 'm/deep/er/': '', 'm/deep/er/z': 'z\n', 'top': 'top\n',
};

async function mounted(t: Parameters<typeof newDriver>[0]): Promise<{ fuse: StorageDriver; mnt: string }> {
  const fuse = await newDriver(t, 'fuse');
  await fuse.create('base', null, { writable: false });
  await fuse.applyDiff('base', null, layerTar(BASE));
  await fuse.create('rw', 'base', { writable: true });
  return { fuse, mnt: await fuse.mount('rw') };
}

/** Runs script with bash -e -o pipefail in dir: a pipeline fails where any of its commands does. */
async function pipefail(dir: string, script: string): Promise<string> {
  return (await run('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: dir })).stdout;
}

/** Looks at everything first (so the kernel caches it), then changes that copy parents up. */
const CHANGES = 'find . -printf "%s %m %C@\\n" > /dev/null; mv a/b/f a/b/f2; chmod 600 m/x; echo new > m/y; touch m/deep/er/z';

await testNeedingAll(test, ['fuse'], 'tar -c right after mv, chmod and a write that copy up: no "file changed as we read it"', async (t) => {
  const { mnt } = await mounted(t);
  const out = await pipefail(mnt, 'stat . a a/b m > /dev/null; mv a/b/f a/b/f2; chmod 600 m/x; echo new > m/y; tar -cf - . | wc -c');
  t.true(Number(out) > 10_000, 'tar exits 0 and writes the archive');
  const again = await pipefail(mnt, `${CHANGES.replace('mv a/b/f a/b/f2', 'mv a/b/f2 a/b/f')}; tar -cf - . | wc -c`);
  t.true(Number(again) > 10_000, 'and again after more changes');
  t.is(await sh(mnt, 'cat m/y; stat -c %a m/x; ls a/b'), 'new\n600\nf\ng\n');
});

await testNeedingAll(test, ['fuse'], 'a directory a copy-up passes through keeps its ctime and inode, before and after the kernel cache expires', async (t) => {
  const { mnt } = await mounted(t);
  const dirs = 'stat -c "%n %.9Z %i %Y" . a a/b m m/deep m/deep/er';
  const before = await sh(mnt, dirs);
  const cached = await sh(mnt, `mv a/b/f a/b/f2; chmod 600 m/x; echo new > m/y; touch m/deep/er/z; ${dirs}`);
  await sh(mnt, 'sleep 1.2'); // attr_timeout of a writable mount: what follows is asked afresh
  const fresh = await sh(mnt, dirs);
  t.is(fresh, cached, 'the kernel cache and the mount agree');
  const unchanged = (list: string) => list.split('\n').filter((l) => !l.startsWith('a/b '));
  t.deepEqual(unchanged(fresh), unchanged(before), 'only a/b, whose entries changed, changed');
});

await testNeedingAll(test, ['fuse'], 'cp -a and rsync -a of a fuse mount right after changes copy it exactly', async (t) => {
  const { mnt } = await mounted(t);
  const scratch = await mkdtemp(join(tmpdir(), 'strata-fuse-consistency-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const listing = 'find . -printf "%p %y %m %s %T@\\n" | sort';
  await sh(mnt, `${CHANGES}; cp -a . ${scratch}/cp`);
  t.is(await sh(join(scratch, 'cp'), listing), await sh(mnt, listing), 'cp -a');
  // rsync leaves a directory's sub-second mtime alone when the whole second matches already: compare seconds.
  const seconds = 'find . -printf "%p %y %m %s %Ts\n" | sort';
  await sh(mnt, `mv a/b/f2 a/b/f; chmod 640 m/x; rsync -a ./ ${scratch}/rsync/`);
  t.is(await sh(join(scratch, 'rsync'), seconds), await sh(mnt, seconds), 'rsync -a');
  await sh(mnt, `chmod 600 a/c && echo more >> m/deep/er/z && rsync -a --delete ./ ${scratch}/rsync/`);
  t.is(await sh(join(scratch, 'rsync'), seconds), await sh(mnt, seconds), 'rsync -a again, the changes only');
  await sh(mnt, `rsync -a ${scratch}/cp/ back/`);
  t.is(await sh(join(mnt, 'back'), seconds), await sh(join(scratch, 'cp'), seconds), 'rsync -a into the mount');
});

await testNeedingAll(test, ['fuse'], 'git and sqlite3 right after changes in a fuse mount', async (t) => {
  const { mnt } = await mounted(t);
  const git = 'git -c user.name=strata -c user.email=strata@example.com -c init.defaultBranch=main';
  await sh(mnt, `${CHANGES}; ${git} init -q && ${git} add -A && ${git} commit -q -m one && mv a/b/g a/b/g2 && chmod 600 m/deep/er/z && ${git} add -A && ${git} commit -q -m two`);
  t.is(await sh(mnt, `${git} status --porcelain; ${git} log --format=%s`), 'two\none\n');
  await sh(mnt, `${git} fsck --strict --no-progress`);
  await sh(mnt, 'mv m m2 && sqlite3 m2/db "CREATE TABLE t (v); INSERT INTO t VALUES (1), (2);" && chmod 600 m2/x');
  t.is(await sh(mnt, 'sqlite3 m2/db "SELECT sum(v) FROM t; PRAGMA integrity_check;"'), '3\nok\n');
});

await testNeedingAll(test, ['fuse'], 'a listing right after a change shows it: creates, deletions and renames drop the kept listings', async (t) => {
  const { mnt } = await mounted(t);
  const script = [
    'ls a a/b m > /dev/null', // listed once: kept by the kernel and by the mount
    'touch a/new; ls a',
    'rm a/c; ls a',
    'mv a/b a/bb; ls a a/bb',
    'mkdir a/b; echo q > a/b/q; ls a/b',
    'mv m/x a/b/x; ls m a/b',
    'rm -r m/deep; ls m',
  ].join('; echo --; ');
  t.is(await sh(mnt, script), [
    '', 'b\nc\nnew\n', 'b\nnew\n', 'a:\nbb\nnew\n\na/bb:\nf\ng\n', 'q\n', 'a/b:\nq\nx\n\nm:\ndeep\ny\n', 'y\n',
  ].join('--\n'));
});
