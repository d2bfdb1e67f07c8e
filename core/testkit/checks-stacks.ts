import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { naiveDiff } from '../diff/index.js';
import { compareNames, layerPathParent } from '../tree.js';
import type { Change } from '../driver.js';
import type { Check } from './check.js';
import { bytesOf, depthFor, rejectsWith, textOf } from './check.js';
import { layerReader } from './harness.js';
import type { Route } from './harness.js';
import type { Op } from './ops.js';

/** Every eighth layer of a long stack goes through a mount, so mount-made layers are parents too. */
const routeOf = (i: number): Route => (i % 8 === 7 ? 'mount' : 'tar');

/** A base and the edits over it that the diff checks compare: changes, deletions, an opaque re-create, a chmod. */
const DIFF_BASE: readonly Op[] = [
  { op: 'mkdir', path: '/etc' },
  { op: 'write', path: '/etc/a', data: 'a' },
  { op: 'write', path: '/etc/b', data: 'bbbb' },
  { op: 'mkdir', path: '/gone' },
  { op: 'write', path: '/gone/x', data: 'x' },
  { op: 'write', path: '/keep', data: 'keep' },
  { op: 'mkdir', path: '/o' },
  { op: 'write', path: '/o/old', data: 'old' },
];
const DIFF_EDITS: readonly Op[] = [
  { op: 'write', path: '/etc/a', data: 'a, changed' },
  { op: 'remove', path: '/etc/b' },
  { op: 'chmod', path: '/etc', mode: 0o700 },
  { op: 'remove', path: '/gone' },
  { op: 'mkdir', path: '/new' },
  { op: 'write', path: '/new/file', data: 'new file' },
  { op: 'chmod', path: '/keep', mode: 0o600 },
  { op: 'remove', path: '/o' },
  { op: 'mkdir', path: '/o' },
  { op: 'write', path: '/o/new', data: 'new' },
];

/** Sum of regular-file sizes in a tar, and its entry names. */
async function tarContents(tar: Buffer): Promise<{ fileBytes: number; names: string[] }> {
  let fileBytes = 0;
  const names: string[] = [];
  for await (const entry of Readable.from(tar).pipe(tarStream.extract())) {
    names.push(entry.header.name);
    if (entry.header.type === 'file') fileBytes += entry.header.size;
    entry.resume();
  }
  return { fileBytes, names };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export const stackChecks: readonly Check[] = [
  {
    title: 'deep read through 128 layers',
    async run(h, t) {
      const depth = depthFor(h.driver.capabilities, 128);
      const layers: string[] = [];
      let top: string | null = null;
      for (let i = 0; i < depth; i++) {
        top = await h.step(t, top, [
          { op: 'write', path: `/layer-${i}`, data: `layer ${i}` },
          { op: 'write', path: '/top', data: `top is ${i}` },
        ], routeOf(i));
        layers.push(top);
      }
      t.is(await textOf(h.driver.read(top!, '/layer-0')), 'layer 0');
      t.is(await textOf(h.driver.read(top!, '/top')), `top is ${depth - 1}`);
      for (const i of [0, depth >> 1]) await h.verify(t, layers[i]!);
    },
  },
  {
    title: '128 layers, each with an overwrite, an add and an opaque re-create',
    async run(h, t) {
      const depth = depthFor(h.driver.capabilities, 128);
      let top: string | null = await h.step(t, null, [{ op: 'mkdir', path: '/opq' }, { op: 'write', path: '/opq/first', data: 'first' }], 'tar');
      for (let i = 1; i < depth; i++) {
        top = await h.step(t, top, [
          { op: 'write', path: '/over', data: `overwritten ${i}`.repeat(i % 5 + 1) },
          { op: 'write', path: `/add-${i}`, data: `added ${i}` },
          { op: 'remove', path: '/opq' },
          { op: 'mkdir', path: '/opq' },
          { op: 'write', path: `/opq/f-${i}`, data: `opaque ${i}` },
        ], routeOf(i));
      }
      t.deepEqual(await h.driver.readdir(top!, '/opq'), [`f-${depth - 1}`]);
    },
  },
  {
    title: 'diff → apply round trip: same diffID, size, deletions kept',
    async run(h, t) {
      const d = h.driver;
      const base = await h.step(t, null, DIFF_BASE, 'tar');
      const child = await h.step(t, base, DIFF_EDITS);
      const expected = h.oracle;
      const diff = await bytesOf(await d.diff(child, base));
      t.deepEqual(await bytesOf(await d.diff(child, base)), diff, 'diff is deterministic');
      const contents = await tarContents(diff);
      t.true(contents.names.some((n) => n.endsWith('.wh.b')), 'the diff keeps the deletion of /etc/b');
      t.true(contents.names.some((n) => n.endsWith('.wh.gone')), 'the diff keeps the deletion of /gone');
      const copy = await h.create(base, false);
      t.is(await d.applyDiff(copy, base, Readable.from(diff)), contents.fileBytes, 'applyDiff returns the diff\'s file bytes');
      await h.expect(t, copy, expected);
      t.is(sha256(await bytesOf(await d.diff(copy, base))), sha256(diff), 'the re-applied layer has the same diffID');

      const whole = await bytesOf(await d.diff(child, null));
      const flat = await h.create(null, false);
      t.is(await d.applyDiff(flat, null, Readable.from(whole)), (await tarContents(whole)).fileBytes);
      await h.expect(t, flat, expected);
    },
  },
  {
    title: 'changes equal the recorded edits at nesting depths 0–9',
    async run(h, t) {
      let parent: string | null = null;
      for (let depth = 0; depth <= 9; depth++) {
        const dirs = Array.from({ length: depth }, (_, i) => `/n${depth}` + Array.from({ length: i }, (_, j) => `/d${j + 1}`).join(''));
        const dir = dirs.at(-1) ?? '';
        const prefix = (name: string): string => `${dir}/${name}-${depth}`;
        const base: string = await h.step(t, parent, [
          ...dirs.map((path): Op => ({ op: 'mkdir', path })),
          { op: 'write', path: prefix('keep'), data: 'keep' },
          { op: 'write', path: prefix('change'), data: 'before' },
          { op: 'write', path: prefix('gone'), data: 'gone' },
        ], 'tar');
        const child = await h.step(t, base, [
          { op: 'write', path: prefix('change'), data: 'after the change' },
          { op: 'write', path: prefix('added'), data: 'added' },
          { op: 'remove', path: prefix('gone') },
        ]);
        const edits: Change[] = [
          { kind: 'A', path: prefix('added') },
          { kind: 'C', path: prefix('change') },
          { kind: 'D', path: prefix('gone') },
        ].sort((a, b) => compareNames(a.path, b.path)) as Change[];
        const ancestors = new Set<string>();
        for (let p = layerPathParent(prefix('x')); p !== '/'; p = layerPathParent(p)) ancestors.add(p);
        for (const id of h.lastLayers) {
          const changes = await h.driver.changes(id, base);
          t.deepEqual(changes.map((c) => c.path), changes.map((c) => c.path).sort(compareNames), `depth ${depth}: changes are sorted`);
          t.deepEqual(changes.filter((c) => !ancestors.has(c.path)), edits, `depth ${depth}: changes of ${id}`);
          t.true(changes.every((c) => !ancestors.has(c.path) || c.kind === 'C'), `depth ${depth}: parent directories only as changed`);
        }
        parent = child;
      }
    },
  },
  {
    title: 'native diff gives exactly core naive diff\'s bytes',
    needs: { capability: (caps) => (caps.nativeDiff ? undefined : 'nativeDiff is false: diff is core\'s naive diff already') },
    async run(h, t) {
      const d = h.driver;
      const base = await h.step(t, null, DIFF_BASE, 'tar');
      await h.step(t, base, DIFF_EDITS);
      for (const id of h.lastLayers) {
        for (const parent of [base, null]) {
          const native = await bytesOf(await d.diff(id, parent));
          const naive = await bytesOf(naiveDiff(parent === null ? null : layerReader(d, parent), layerReader(d, id)));
          t.is(sha256(native), sha256(naive), `diff(${id}, ${parent}) is the naive diff`);
        }
      }
    },
  },
  {
    title: 'a bad or hostile tar fails with a typed error and leaves nothing visible',
    async run(h, t) {
      const d = h.driver;
      const base = await h.step(t, null, [{ op: 'write', path: '/keep', data: 'keep' }], 'tar');
      const unchanged = h.oracle;
      const pack = tarStream.pack();
      pack.entry({ name: 'new-file', size: 5 }, 'hello');
      pack.entry({ name: '../escape', size: 3 }, 'bad');
      pack.finalize();
      const hostile = await bytesOf(Readable.from(pack));
      const bad = await h.create(base, false);
      await rejectsWith(t, d.applyDiff(bad, base, Readable.from(hostile)), 'EUNSAFEARCHIVE', 'a tar entry "../escape"');
      t.deepEqual(await h.pathsNamed('escape'), [], 'nothing named "escape" was written anywhere');
      await h.expect(t, bad, unchanged);
      const truncated = await h.create(base, false);
      // Cut inside new-file's data (a tar may end inside the padding after an entry, as Go's archive/tar allows).
      await rejectsWith(t, d.applyDiff(truncated, base, Readable.from(hostile.subarray(0, 515))), 'EBADARCHIVE', 'a truncated tar');
      await h.expect(t, truncated, unchanged);
    },
  },
];
