import test from 'ava';
import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DirectoryTree, ErrorCode, S_IFCHR, deletingWhiteouts, extractLayer, openLayerStream, sys, type WhiteoutHandler } from '../../core/engine.js';
import { assertRefused, extract, hashTree, listTree, packTar, runningAsRoot, sandbox } from './fixtures.js';

/** An overlay-style handler: records calls and marks whiteouts as 0/0 character devices, as the overlay driver will. */
function recordingHandler(): { handler: WhiteoutHandler; calls: string[] } {
  const calls: string[] = [];
  const handler: WhiteoutHandler = {
    async whiteout(dir, layerPath) {
      calls.push(`whiteout ${layerPath}`);
      sys.mknod(join(dir, layerPath), S_IFCHR | 0o600, 0, 0);
    },
    async opaque(_dir, layerPath, written) {
      calls.push(`opaque ${layerPath} [${[...written].filter((p) => p.startsWith(`${layerPath}/`)).sort().join(' ')}]`);
    },
  };
  return { handler, calls };
}

async function lowerTree(root: string): Promise<string> {
  const lower = join(root, 'lower');
  await mkdir(join(lower, 'a/deep'), { recursive: true });
  await writeFile(join(lower, 'a/deep/f'), 'lower');
  await mkdir(join(lower, 'd/old'), { recursive: true });
  await chmod(join(lower, 'd'), 0o710);
  await mkdir(join(lower, 'r'));
  await writeFile(join(lower, 'r/old'), 'lower');
  await writeFile(join(lower, 'gone'), 'lower');
  return lower;
}

test('an upper-only layer (overlay style) hands whiteouts and opaque markers to the driver handler', async (t) => {
  if (!runningAsRoot(t, 'creating whiteout devices')) return;
  const box = await sandbox(t);
  const lower = new DirectoryTree(await lowerTree(box.root));
  const { handler, calls } = recordingHandler();
  const bytes = await packTar([
    { name: '.wh.gone' },
    { name: 'a', body: 'a file over a lower directory' },
    { name: 'a/deep/.wh.f' },
    { name: 'd/new', body: 'this layer' },
    { name: 'd/.wh..wh..opq' },
    { name: 'nowhere/.wh.thing' },
    { name: '.wh.r' },
    { name: 'r/new', body: 'recreated' },
  ]);
  await extractLayer(box.layer, Readable.from([bytes]), { whiteouts: handler, lower });
  t.deepEqual(calls, ['whiteout /gone', 'opaque /d [/d/new]', 'whiteout /r', 'opaque /r []']);
  t.deepEqual(await listTree(box.layer), ['a', 'd/', 'd/new', 'gone', 'r/', 'r/new']);
  t.is((await lstat(join(box.layer, 'd'))).mode & 0o7777, 0o710, 'omitted parent takes the lower mode');
  t.true((await lstat(join(box.layer, 'gone'))).isCharacterDevice());
});

test('a gzip layer opened by its bytes extracts like the plain tar', async (t) => {
  const box = await sandbox(t);
  const bytes = await packTar([{ name: 'etc/hostname', body: 'strata\n' }]);
  const plainDir = join(box.root, 'plain');
  await mkdir(plainDir);
  await extract(plainDir, bytes);
  const result = await extractLayer(box.layer, await openLayerStream(Readable.from([gzipSync(bytes)])), {
    whiteouts: deletingWhiteouts,
  });
  t.is(result.size, 7);
  t.is(await hashTree(join(box.layer, 'etc')), await hashTree(join(plainDir, 'etc')));
});

test('a truncated layer fails with EBADARCHIVE naming the entry being written', async (t) => {
  const box = await sandbox(t);
  const bytes = await packTar([
    { name: 'ok', body: 'fine' },
    { name: 'big', body: Buffer.alloc(64 * 1024, 9) },
  ]);
  await assertRefused(t, extract(box.layer, bytes.subarray(0, 2048 + 8192)), ErrorCode.EBADARCHIVE, 'big');
});
