import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmod, link, lutimes, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  DirectoryTree,
  changesOf,
  compareTrees,
  deletingWhiteouts,
  diffSize,
  extractLayer,
  naiveChanges,
  naiveDiff,
  sys,
} from '../../core/engine.js';
import { FIXED_SECONDS, buildTree, bytesOf, pinTimes, sha256, tempDir } from './trees.js';
import type { TreeSpec } from './trees.js';

const SPEC: TreeSpec = {
  'a/': '',
  'a/b': 'b',
  'a-c': 'ac',
  'd/': '',
  'd/1': '1',
  'd/2/': '',
  'd/2/deep': 'deep',
  'e/': '',
  'e/keep': 'k',
  'e/gone': 'g',
  f: 'f',
  'link': '->f',
};

/** The edits of a typical layer; directories whose entries changed get a new mtime, as a real write gives them. */
async function editLayer(u: string): Promise<void> {
  await writeFile(join(u, 'a/b'), 'B!');
  await writeFile(join(u, 'a/new'), 'new');
  await rm(join(u, 'd'), { recursive: true });
  await mkdir(join(u, 'd'));
  await writeFile(join(u, 'd/fresh'), 'fresh');
  await rm(join(u, 'e/gone'));
  await rm(join(u, 'f'));
  await mkdir(join(u, 'f'));
  await writeFile(join(u, 'f/inside'), 'i');
  await chmod(join(u, 'a-c'), 0o600);
  await link(join(u, 'a/new'), join(u, 'a/new-link'));
  await symlink('../a/b', join(u, 'e/sym'));
  sys.lsetxattr(join(u, 'e/keep'), 'user.tag', Buffer.from('v'));
  await pinTimes(u);
  for (const dir of ['', 'a', 'd', 'e', 'f']) await lutimes(join(u, dir), FIXED_SECONDS + 60, FIXED_SECONDS + 60);
}

async function layerPair(t: Parameters<typeof tempDir>[0]) {
  const lowerDir = await buildTree(await tempDir(t), SPEC);
  const upperDir = await buildTree(await tempDir(t), SPEC);
  await editLayer(upperDir);
  return { lowerDir, upperDir, lower: new DirectoryTree(lowerDir), upper: new DirectoryTree(upperDir) };
}

test('changes map add/modify/delete to A/C/D (a type change to C), opaque to one D per hidden lower child, sorted by path bytes', async (t) => {
  const { lower, upper } = await layerPair(t);
  const changes = (await naiveChanges(lower, upper)).map((c) => `${c.kind} ${c.path}`);
  // byte order of the whole path: '/a-c' comes before '/a/b' ('-' < '/'), unlike tree order
  t.deepEqual(changes, [
    'C /a',
    'C /a-c',
    'C /a/b',
    'A /a/new',
    'A /a/new-link',
    'C /d',
    'D /d/1',
    'D /d/2',
    'A /d/fresh',
    'C /e',
    'D /e/gone',
    'C /e/keep',
    'A /e/sym',
    'C /f',
    'A /f/inside',
  ]);
});

test('changesOf with no lower lists every add', async (t) => {
  const upper = new DirectoryTree(await buildTree(await tempDir(t), { 'x/': '', 'x/y': '' }));
  t.deepEqual(await changesOf(compareTrees(null, upper), null), [
    { kind: 'A', path: '/x' },
    { kind: 'A', path: '/x/y' },
  ]);
});

test('diff applied onto a copy of lower by the safe extractor reproduces upper and the same diff bytes', async (t) => {
  const { lowerDir, lower, upper } = await layerPair(t);
  const tarBytes = await bytesOf(naiveDiff(lower, upper));
  const applied = join(await tempDir(t), 'applied');
  execFileSync('cp', ['-a', lowerDir, applied]);
  const result = await extractLayer(applied, Readable.from([tarBytes]), { whiteouts: deletingWhiteouts });
  const appliedTree = new DirectoryTree(applied);
  t.deepEqual(await naiveChanges(upper, appliedTree), []);
  t.is(sha256(await bytesOf(naiveDiff(lower, appliedTree))), sha256(tarBytes));
  t.is(result.size, await diffSize(lower, upper));
});
