import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import tar from 'tar-stream';
import { VfsDriver } from '../../drivers/vfs/index.js';
import { wrapDriver } from '../../core/engine.js';

// vfs keeps the reader of a read-only layer and remembers its parent checks:
// what it remembers must never outlive a change of the layer's directory.

function layerTar(entries: ReadonlyArray<{ name: string; type?: 'directory' | 'symlink'; linkname?: string; body?: string }>): Readable {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', mode: 0o755, mtime: new Date(1_700_000_000_000), ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '');
  pack.finalize();
  return Readable.from(pack);
}

async function withVfs(t: import('ava').ExecutionContext, fn: (vfs: ReturnType<typeof wrapDriver>) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'strata-vfs-reader-'));
  const vfs = wrapDriver((c) => new VfsDriver(c), home);
  await vfs.init();
  t.teardown(() => rm(home, { recursive: true, force: true }));
  await fn(vfs);
}

test('a reader taken before applyDiff sees what it wrote, and a directory it turned into a symlink is not followed', async (t) => {
  await withVfs(t, async (vfs) => {
    await vfs.create('base', null, { writable: false });
    await vfs.applyDiff('base', null, layerTar([{ name: 'd', type: 'directory' }, { name: 'd/f', body: 'f' }]));
    await vfs.create('child', 'base', { writable: false });
    const early = await vfs.reader('child');
    t.truthy(await early.stat('/d/f'));
    t.is(await early.stat('/d/new'), undefined);
    t.is(await early.stat('/e/passwd'), undefined);
    await vfs.applyDiff('child', 'base', layerTar([{ name: 'd/new', body: 'new' }, { name: 'e', type: 'symlink', linkname: '/etc' }, { name: '.wh.d' }, { name: 'd', type: 'symlink', linkname: '/etc' }]));
    for (const reader of [early, await vfs.reader('child')]) {
      t.is(await reader.stat('/d/passwd'), undefined, 'no lookup goes through the symlink d');
      t.is(await reader.stat('/e/passwd'), undefined, 'nor through the symlink e');
      t.like(await reader.stat('/d'), { type: 'symlink', linkTarget: '/etc' });
    }
    t.like(await vfs.stat('base', '/d/f'), { type: 'file' }, 'the parent is unchanged');
  });
});

test('a writable layer\'s lookups see every change made in its directory', async (t) => {
  await withVfs(t, async (vfs) => {
    await vfs.create('rw', null, { writable: true });
    const reader = await vfs.reader('rw');
    t.is(await reader.stat('/x/y'), undefined);
    const path = await vfs.mount('rw');
    try {
      const { mkdir, writeFile } = await import('node:fs/promises');
      await mkdir(join(path, 'x'));
      await writeFile(join(path, 'x', 'y'), 'y');
      t.like(await reader.stat('/x/y'), { type: 'file', size: 1 });
    } finally {
      await vfs.unmount('rw');
    }
    await vfs.commit('rw');
    t.like(await vfs.stat('rw', '/x/y'), { type: 'file', size: 1 }, 'and once committed, its kept reader starts from the committed tree');
  });
});
