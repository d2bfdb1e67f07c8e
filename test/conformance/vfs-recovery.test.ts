import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import { VfsDriver } from '../../drivers/vfs/index.js';
import { RUNTIME_DIR, wrapDriver } from '../../core/engine.js';

// vfs-specific crash recovery: what init() finds after a process died mid-way.

test('init (through the runtime) removes half-built layers, layers whose applyDiff never finished, and stale counts', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'strata-vfs-recovery-'));
  try {
    const first = wrapDriver((c) => new VfsDriver(c), home);
    await first.init();
    await first.create('done', null, { writable: false });
    await first.create('applying', 'done', { writable: false });
    await first.create('rw', 'done', { writable: true });
    await first.mount('rw');
    // A crash while building a layer in tmp/, during applyDiff, and after a mount count was written:
    await mkdir(join(home, 'tmp', 'halfmade-123', 'root'), { recursive: true });
    await writeFile(join(home, RUNTIME_DIR, 'applying', 'applying'), '');
    await writeFile(join(home, 'counts', 'gone'), '3\n');

    const next = wrapDriver((c) => new VfsDriver(c), home);
    await next.init();
    t.deepEqual(await readdir(join(home, 'tmp')), []);
    t.true(await next.exists('done'));
    t.false(await next.exists('applying'), 'a layer whose applyDiff never finished is removed');
    t.is(await next.mountCount('rw'), 1, 'a live mount survives init');
    t.deepEqual(await readdir(join(home, 'counts')), ['rw'], 'counts of missing layers are dropped');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('a failed applyDiff leaves the layer as its parent was', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'strata-vfs-recovery-'));
  try {
    const vfs = wrapDriver((c) => new VfsDriver(c), home);
    await vfs.init();
    await vfs.create('base', null, { writable: false });
    await vfs.create('child', 'base', { writable: false });
    await t.throwsAsync(vfs.applyDiff('child', 'base', Readable.from([Buffer.alloc(100, 1)])));
    t.deepEqual(await vfs.readdir('child', '/'), []);
    t.deepEqual(await readdir(join(home, 'layers', 'child')), ['meta.json', 'root'], 'no applying marker left');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
