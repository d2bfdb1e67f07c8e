import test from 'ava';
import type { ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerTar } from '../overlay/fixtures.js';
import type { Spec } from '../overlay/fixtures.js';
import type { DriverRuntime } from '../../core/engine.js';
import { newDriver, sh, testNeedingAll } from './fixtures.js';

/** srv/<a>/<b>/f<i>: 6 × 6 directories of 10 files, in a base layer. */
function wideTree(): Spec {
  const spec: Spec = { 'srv/': '' };
  for (let a = 0; a < 6; a++) {
    spec[`srv/${a}/`] = '';
    for (let b = 0; b < 6; b++) {
      spec[`srv/${a}/${b}/`] = '';
      for (let i = 0; i < 10; i++) spec[`srv/${a}/${b}/f${i}`] = `${a}${b}${i}\n`;
    }
  }
  return spec;
}

/**
 * One round, as a load test saw it: rm -rf of a tree held below while three `find` and three
 * `ls -lR` walk it, in a fresh writable layer over base. rm must succeed, the walkers may see
 * nothing but ENOENT, and the layer's diff is the tree's removal.
 */
async function removeWhileWalking(t: ExecutionContext, fuse: DriverRuntime, id: string): Promise<void> {
  await fuse.create(id, 'base', { writable: true });
  const mnt = await fuse.mount(id);
  await sh(mnt, 'for a in 0 1 2; do mkdir srv/$a/new; echo new > srv/$a/new/g; echo changed > srv/$a/0/f1; done');
  // Each walker writes its own error file (lines of several writers would interleave), in /tmp: not in the mount.
  const errs = await mkdtemp(join(tmpdir(), 'strata-walkers-'));
  t.teardown(() => rm(errs, { recursive: true, force: true }));
  const walkers = `for i in 1 2 3; do find srv -exec stat {} + >/dev/null 2>${errs}/find$i & ls -lR srv >/dev/null 2>${errs}/ls$i & done`;
  const out = await sh(mnt, `rm -rf srv 2>&1 & rm=$!\n${walkers}\nwait $rm && echo removed\nwait\ncat ${errs}/*`);
  const lines = out.split('\n').filter((line) => line !== '' && line !== 'removed');
  t.true(out.startsWith('removed\n') || out.includes('\nremoved\n'), `${id}: ${out.slice(0, 500)}`);
  t.deepEqual(lines.filter((line) => !/No such file or directory/.test(line)), [], `${id}: the walkers saw nothing but ENOENT`);
  t.is(await sh(mnt, 'ls -A'), '', `${id}: the tree is gone`);
  await fuse.unmount(id);
  t.deepEqual(await fuse.changes(id, 'base'), [{ kind: 'D', path: '/srv' }]);
}

async function wideBase(t: ExecutionContext): Promise<DriverRuntime> {
  const fuse = await newDriver(t, 'fuse');
  await fuse.create('base', null, { writable: false });
  await fuse.applyDiff('base', null, layerTar(wideTree()));
  return fuse;
}

// A listing merged while a removal inside its directory ran was kept with the removed name, so
// rmdir of the directory failed ("Directory not empty") and a lookup of the name found its
// whiteout. A race: without the fix, most rounds failed; with it, none may.
await testNeedingAll(test, ['fuse'], 'rm -rf of a tree while find and ls -lR walk it succeeds; the walkers see only ENOENT', async (t) => {
  const fuse = await wideBase(t);
  for (const round of [0, 1, 2]) await removeWhileWalking(t, fuse, `rw${round}`);
});

// The mount's channel ends each listing the kernel does not hold with a made-up RELEASEDIR,
// after the kernel has the listing: a walker may close the directory and rm remove it, and the
// kernel forget its node, first. libfuse 2 aborted on the RELEASEDIR of the forgotten node
// ("fuse internal error: node N not found"; the mount died, rm saw ENOTCONN) — once in nine
// CI runs. The mount's test knob widens that window to 20 ms, where every round died before the
// channel held FORGETs back until the RELEASEDIR is answered.
await testNeedingAll(test, ['fuse'], 'a directory removed and forgotten right after a listing does not bring the mount down', async (t) => {
  const fuse = await wideBase(t);
  process.env.STRATA_FUSE_TEST_RELEASEDIR_DELAY_US = '20000'; // read by the mount process as it starts
  try {
    for (const round of [0, 1, 2]) await removeWhileWalking(t, fuse, `slow${round}`);
  } finally {
    delete process.env.STRATA_FUSE_TEST_RELEASEDIR_DELAY_US;
  }
});
