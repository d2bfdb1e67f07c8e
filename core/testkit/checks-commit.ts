import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Check } from './check.js';
import { bytesOf, rejectsWith } from './check.js';

/** Ops for a change made through a mount: files added, rewritten, deleted, a directory replaced. */
const CHANGES = [
  { op: 'write', path: '/etc/conf', data: 'changed' },
  { op: 'write', path: '/etc/new', data: 'new file' },
  { op: 'remove', path: '/etc/old' },
  { op: 'mkdir', path: '/var/lib/app' },
  { op: 'write', path: '/var/lib/app/db', data: 'data'.repeat(1000) },
] as const;

export const commitChecks: readonly Check[] = [
  {
    title: 'commit seals a writable layer: the same diff byte for byte, the same union, its mount refuses writes',
    async run(h, t) {
      const d = h.driver;
      const base = await h.step(t, null, [
        { op: 'mkdir', path: '/etc' },
        { op: 'write', path: '/etc/conf', data: 'original' },
        { op: 'write', path: '/etc/old', data: 'old' },
        { op: 'mkdir', path: '/var' },
        { op: 'mkdir', path: '/var/lib' },
      ], 'tar');
      const rw = await h.step(t, base, [...CHANGES], h.mounts ? 'mount' : 'tar');
      const layer = h.mounts ? rw : await h.create(base, true);
      const before = await bytesOf(await d.diff(layer, base));
      const changes = await d.changes(layer, base);
      const union = await h.lookupSnapshot(layer);
      await d.commit(layer);
      t.true((await bytesOf(await d.diff(layer, base))).equals(before), 'the diff is byte for byte the same');
      t.deepEqual(await d.changes(layer, base), changes, 'the changes are the same');
      t.deepEqual(await h.lookupSnapshot(layer), union, 'the union is the same');
      await d.commit(layer);
      t.deepEqual(await h.lookupSnapshot(layer), union, 'committing twice is a no-op');
      if (!h.mounts) return;
      const path = await d.mount(layer);
      try {
        await t.throwsAsync(writeFile(join(path, 'etc', 'conf'), 'x'), { code: 'EROFS' }, 'a committed layer refuses writes');
        await t.throwsAsync(mkdir(join(path, 'newdir')), { code: 'EROFS' }, 'a committed layer refuses new directories');
      } finally {
        await d.unmount(layer);
      }
      t.deepEqual(await h.mountedSnapshot(layer), union, 'its mount shows the same union');
      const child = await h.create(layer, true);
      t.deepEqual(await h.lookupSnapshot(child), union, 'a layer built on the committed one sees its union');
    },
  },
  {
    title: 'commit refuses a mounted layer (ELAYERBUSY), one with children (ELAYERHASCHILDREN), a missing one (ENOLAYER)',
    async run(h, t) {
      const d = h.driver;
      const rw = await h.create(null, true);
      if (h.mounts) {
        await d.mount(rw);
        await rejectsWith(t, d.commit(rw), 'ELAYERBUSY', 'committing a mounted layer');
        await d.unmount(rw);
      }
      const child = await h.create(rw, true);
      await rejectsWith(t, d.commit(rw), 'ELAYERHASCHILDREN', 'committing a layer with a child');
      await d.remove(child);
      await d.commit(rw);
      await rejectsWith(t, d.commit('nosuchlayer'), 'ENOLAYER', 'committing a missing layer');
    },
  },
];
