import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sys } from '../../core/engine.js';
import type { LstatDirResult } from '../../core/sys/index.js';
import { LSTAT_FIELDS, LSTAT_XATTRS_ALL, LSTAT_XATTRS_DIRS } from '../../core/sys/index.js';
import { startReadAhead, stopReadAhead, takeScan } from '../../core/union/read-ahead.js';
import type { ReadAhead, ScanArrays, TakenScan } from '../../core/union/read-ahead.js';
import { buildTree, tempDir } from './trees.js';
import type { TreeSpec } from './trees.js';

// The native diff's read-ahead (core/union/read-ahead.ts over sys.scanAhead): an upper
// tree scanned on its own thread, taken in batches; what the walk takes must be exactly
// lstatDir's scan.

const SPEC: TreeSpec = {
  'b/': '',
  'b/x': 'x',
  'b/a-c': 'ac',
  'b/a/': '',
  'b/a/deep': 'deep',
  'a/': '',
  'a/z': 'z',
  'a/link': '->z',
  'a-b': 'file',
  'c/': '',
  'c/d/': '',
  'c/d/e/': '',
};

/** The tree's directories in a sorted walk's order: depth first, each directory's names by their bytes. */
const WALK_ORDER = ['/', '/a', '/b', '/b/a', '/c', '/c/d', '/c/d/e'];

type Entry = [number[], string | undefined, string | undefined];

/** Entry `at` of scan arrays: [fields, ino, xattrs]. */
function entryOf(a: ScanArrays, at: number): Entry {
  return [Array.from(a.fields.subarray(at * LSTAT_FIELDS, (at + 1) * LSTAT_FIELDS)), a.inos[at] || undefined, a.xattrs[at]];
}

/** A taken scan as name → entry, in its own order. */
function takenByName(s: TakenScan, arrays: ScanArrays = s.upper): Array<[string, Entry]> {
  return s.names.map((name, i) => [name, entryOf(arrays, s.start + i)]);
}

/** lstatDir's answer as name → entry, names sorted by their bytes. */
function directByName(names: readonly string[], r: LstatDirResult): Array<[string, Entry]> {
  return names
    .map((name, i) => [name, entryOf(r, i)] as [string, Entry])
    .sort(([x], [y]) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
}

function take(ahead: ReadAhead, root: string, dir: string): TakenScan | null | undefined {
  return takeScan(ahead, dir, dir === '/' ? root : root + dir);
}

test('each directory taken from the read-ahead is the scan lstatDir makes, its names sorted by their bytes', async (t) => {
  const root = await buildTree(await tempDir(t), SPEC);
  sys.lsetxattr(join(root, 'a', 'z'), 'user.note', Buffer.from('kept'));
  const ahead = startReadAhead(root, LSTAT_XATTRS_ALL)!;
  t.truthy(ahead);
  try {
    for (const dir of WALK_ORDER) {
      const taken = take(ahead, root, dir);
      if (taken === null || taken === undefined) return t.fail(`no scan of '${dir}'`);
      const direct = sys.lstatDir(-1, dir === '/' ? root : root + dir, null, LSTAT_XATTRS_ALL)!;
      t.deepEqual(takenByName(taken), directByName(direct.names!, direct), dir);
      t.is(taken.lower, undefined);
    }
    t.is(take(ahead, root, '/zz'), undefined, 'the walk is over');
  } finally {
    stopReadAhead(ahead);
  }
});

test('attribute names and small files come with the scan; large files and other entries without content', async (t) => {
  const root = await buildTree(await tempDir(t), { small: 'twelve bytes', empty: '', link: '->small', 'd/': '' });
  await writeFile(join(root, 'large'), Buffer.alloc(64 * 1024, 1));
  sys.lsetxattr(join(root, 'small'), 'user.note', Buffer.from('kept'));
  const ahead = startReadAhead(root, LSTAT_XATTRS_ALL)!;
  try {
    const taken = take(ahead, root, '/')!;
    const content = Object.fromEntries(taken.names.map((name, i) => [name, taken.contents?.[taken.start + i]?.toString()]));
    t.deepEqual(content, { d: undefined, empty: undefined, large: undefined, link: undefined, small: 'twelve bytes' });
    t.is(taken.upper.xattrs[taken.start + taken.names.indexOf('small')], 'user.note');
  } finally {
    stopReadAhead(ahead);
  }
});

test('with a lower directory, each scan also holds its names looked up at the same path there, as lstatDir looks them up', async (t) => {
  const root = await buildTree(await tempDir(t), SPEC);
  const lower = await buildTree(await tempDir(t), { 'a/': '', 'a/z/': '', b: 'a file here', 'c/': '', 'c/d': 'not a directory' });
  sys.lsetxattr(join(lower, 'a', 'z'), 'user.mark', Buffer.from('y'));
  const ahead = startReadAhead(root, LSTAT_XATTRS_ALL, lower)!;
  try {
    for (const dir of WALK_ORDER) {
      const taken = take(ahead, root, dir);
      if (taken === null || taken === undefined) return t.fail(`no scan of '${dir}'`);
      if (taken.names.length === 0) continue; // nothing to look up
      if (taken.lower === undefined) return t.fail(`no lookup of '${dir}'`);
      const direct = sys.lstatDir(-1, lower, taken.names.map((n) => (dir === '/' ? n : `${dir.slice(1)}/${n}`)), LSTAT_XATTRS_DIRS)!;
      t.deepEqual(takenByName(taken, taken.lower), taken.names.map((name, i) => [name, entryOf(direct, i)]), dir);
    }
    const a = sys.lstatDir(-1, lower, ['a/z', 'a/link'], LSTAT_XATTRS_DIRS)!;
    t.is(a.xattrs[0], 'user.mark');
    t.is(a.fields[LSTAT_FIELDS], 0, 'absent below: mode 0');
  } finally {
    stopReadAhead(ahead);
  }
});

test('a walk that skips a subtree or asks for a directory the scan never saw still gets the scans after it', async (t) => {
  const root = await buildTree(await tempDir(t), SPEC);
  const ahead = startReadAhead(root, LSTAT_XATTRS_ALL)!;
  try {
    t.truthy(take(ahead, root, '/'));
    // not in the tree: unknown to the read-ahead, and nothing after it is lost
    t.is(take(ahead, root, '/a/never'), undefined);
    t.deepEqual(take(ahead, root, '/b/a')!.names, ['deep']); // '/a' and '/b' skipped
    t.deepEqual(take(ahead, root, '/c/d/e')!.names, []);
  } finally {
    stopReadAhead(ahead);
  }
});

test('stopping a read-ahead that is waiting for room ends it at once, and a stopped one gives nothing', async (t) => {
  const spec: TreeSpec = {};
  for (let i = 0; i < 200; i++) spec[`d${i}/`] = '';
  const root = await buildTree(await tempDir(t), spec);
  const handle = sys.scanAhead(root, LSTAT_XATTRS_ALL, 1, null)!;
  const ahead: ReadAhead = { handle, xattrs: LSTAT_XATTRS_ALL, lower: undefined, batch: undefined };
  t.is(take(ahead, root, '/')!.names.length, 200);
  sys.scanAheadStop(handle); // its thread waits for room: it must not hang here
  ahead.batch = undefined;
  t.is(take(ahead, root, '/d0'), undefined);
  stopReadAhead(ahead);
  t.is(startReadAhead(join(root, 'absent'), LSTAT_XATTRS_ALL), undefined);
});
