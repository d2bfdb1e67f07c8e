import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sys } from '../../core/engine.js';
import type { LstatDirResult } from '../../core/sys/index.js';
import { LSTAT_FIELDS, LSTAT_XATTRS_ALL, LSTAT_XATTRS_DIRS } from '../../core/sys/index.js';
import { buildTree, tempDir } from './trees.js';
import type { TreeSpec } from './trees.js';

// The native diff's read-ahead (core/union/read-ahead.ts): sys.scanAhead scans an
// upper tree on its own thread; what the walk takes must be exactly lstatDir's scan.

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

/** One scan as name → [fields, ino, xattrs], whatever the order of its names. */
function byName(r: LstatDirResult): Map<string, [number[], string | undefined, string | undefined]> {
  const out = new Map<string, [number[], string | undefined, string | undefined]>();
  const order = r.names!.map((name, i) => [name, i] as const).sort(([x], [y]) => (x < y ? -1 : 1));
  for (const [name, i] of order) out.set(name, [Array.from(r.fields.subarray(i * LSTAT_FIELDS, (i + 1) * LSTAT_FIELDS)), r.inos[i], r.xattrs[i]]);
  return out;
}

/** The tree's directories in a sorted walk's order: depth first, each directory's names by their bytes. */
const WALK_ORDER = ['', 'a', 'b', 'b/a', 'c', 'c/d', 'c/d/e'];

test('each directory taken from the read-ahead is the scan lstatDir makes, its names sorted by their bytes', async (t) => {
  const root = await buildTree(await tempDir(t), SPEC);
  sys.lsetxattr(join(root, 'a', 'z'), 'user.note', Buffer.from('kept'));
  const ahead = sys.scanAhead(root, LSTAT_XATTRS_ALL, 2, null)!;
  t.truthy(ahead);
  try {
    for (const rel of WALK_ORDER) {
      const taken = sys.scanAheadTake(ahead, rel);
      if (taken === null || taken === undefined) return t.fail(`no scan of '${rel}'`);
      const direct = sys.lstatDir(-1, rel === '' ? root : join(root, rel), null, LSTAT_XATTRS_ALL)!;
      t.deepEqual(taken.names, [...direct.names!].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))), rel);
      t.deepEqual(byName(taken), byName(direct), rel);
    }
    t.is(byName(sys.lstatDir(-1, join(root, 'a'), null, LSTAT_XATTRS_ALL)!).get('z')![2], 'user.note');
    t.is(sys.scanAheadTake(ahead, 'zz'), undefined, 'the walk is over');
  } finally {
    sys.scanAheadStop(ahead);
  }
});

test('small regular files come with their content, read up to one byte past their size; large ones and others without', async (t) => {
  const root = await buildTree(await tempDir(t), { 'small': 'twelve bytes', 'empty': '', 'link': '->small', 'd/': '' });
  await writeFile(join(root, 'large'), Buffer.alloc(64 * 1024, 1));
  const ahead = sys.scanAhead(root, LSTAT_XATTRS_ALL, 16, null)!;
  try {
    const taken = sys.scanAheadTake(ahead, '')!;
    const content = new Map(taken.names!.map((name, i) => [name, taken.contents?.[i]?.toString()]));
    t.deepEqual(Object.fromEntries(content), { d: undefined, empty: undefined, large: undefined, link: undefined, small: 'twelve bytes' });
    t.is(sys.scanAheadTake(ahead, 'zz'), undefined, 'the walk is over');
  } finally {
    sys.scanAheadStop(ahead);
  }
});

test('with a lower directory, each scan also holds its names looked up at the same path there, as lstatDir looks them up', async (t) => {
  const root = await buildTree(await tempDir(t), SPEC);
  const lower = await buildTree(await tempDir(t), { 'a/': '', 'a/z/': '', 'b': 'a file here', 'c/': '', 'c/d': 'not a directory' });
  sys.lsetxattr(join(lower, 'a', 'z'), 'user.mark', Buffer.from('y'));
  const ahead = sys.scanAhead(root, LSTAT_XATTRS_ALL, 1, lower)!;
  try {
    for (const rel of WALK_ORDER) {
      const taken = sys.scanAheadTake(ahead, rel);
      if (taken === null || taken === undefined) return t.fail(`no scan of '${rel}'`);
      const names = taken.names!;
      if (names.length === 0) continue; // nothing to look up
      if (taken.lower === undefined) return t.fail(`no lookup of '${rel}'`);
      const direct = sys.lstatDir(-1, lower, names.map((n) => (rel === '' ? n : `${rel}/${n}`)), LSTAT_XATTRS_DIRS)!;
      t.deepEqual(Array.from(taken.lower.fields), Array.from(direct.fields), rel);
      t.deepEqual(taken.lower.inos, direct.inos, rel);
      t.deepEqual(taken.lower.xattrs, direct.xattrs, rel);
    }
    const a = sys.lstatDir(-1, lower, ['a/z', 'a/link'], LSTAT_XATTRS_DIRS)!;
    t.is(a.xattrs[0], 'user.mark');
    t.is(a.fields[LSTAT_FIELDS], 0, 'absent below: mode 0');
  } finally {
    sys.scanAheadStop(ahead);
  }
});

test('a walk that skips a subtree or asks for a directory the scan never saw still gets the scans after it', async (t) => {
  const root = await buildTree(await tempDir(t), SPEC);
  const ahead = sys.scanAhead(root, LSTAT_XATTRS_ALL, 1, null)!;
  try {
    t.truthy(sys.scanAheadTake(ahead, ''));
    // not in the tree: unknown to the read-ahead, and nothing after it is lost
    t.is(sys.scanAheadTake(ahead, 'a/never'), undefined);
    t.deepEqual(sys.scanAheadTake(ahead, 'b/a')!.names, ['deep']); // 'a' and 'b' skipped
    t.deepEqual(sys.scanAheadTake(ahead, 'c/d/e')!.names, []);
  } finally {
    sys.scanAheadStop(ahead);
  }
});

test('stopping a read-ahead that is waiting for room ends it at once, and a stopped one gives nothing', async (t) => {
  const spec: TreeSpec = {};
  for (let i = 0; i < 200; i++) spec[`d${i}/`] = '';
  const root = await buildTree(await tempDir(t), spec);
  const ahead = sys.scanAhead(root, LSTAT_XATTRS_ALL, 1, null)!;
  t.is(sys.scanAheadTake(ahead, '')!.names!.length, 200);
  sys.scanAheadStop(ahead); // its thread waits for room: it must not hang here
  t.is(sys.scanAheadTake(ahead, 'd0'), undefined);
  sys.scanAheadStop(ahead);
  t.is(sys.scanAhead(join(root, 'absent'), LSTAT_XATTRS_ALL, 1, null), null);
});
