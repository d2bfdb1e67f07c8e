import test from 'ava';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentStore } from '../../core/content/content-store.js';
import { ownedName } from '../../core/store/owned-names.js';
import { tempDir } from './store-fixture.js';

// Blobs are written outside the store lock, to temporary files in blobs/tmp that are renamed
// into place; every store open drops the temporary files a crash left. Those of a process still
// writing must stay.

test('a blob being stored survives another open of the store that cleans up', async (t) => {
  const root = await tempDir(t);
  const writer = new ContentStore(root);
  await writer.init();
  // Large enough that reading it back to hash it outlasts the polling below.
  const bytes = Buffer.alloc(96 << 20, 'strata');
  const file = join(root, 'layer.bin');
  await writeFile(file, bytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

  const storing = writer.putFile(file, digest, 'layer');
  let finished = false;
  void storing.then(() => (finished = true), () => (finished = true));
  const tmp = join(root, 'blobs', 'tmp');
  let temps: string[] = [];
  while (temps.length === 0 && !finished) {
    temps = await readdir(tmp);
    if (temps.length === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  t.is(temps.length, 1, 'the blob was caught half-stored, in its temporary file');
  await new ContentStore(root).init(); // what the next `strata` command's store open does
  t.false(finished, 'the cleanup ran while the blob was being stored');

  t.deepEqual(await storing, { digest, size: bytes.length });
  t.true((await readFile(writer.path(digest))).equals(bytes));
  t.deepEqual(await readdir(tmp), []);
});

test('an open drops the temporary files of dead processes and of older strata, and keeps a live one\'s', async (t) => {
  const root = await tempDir(t);
  await new ContentStore(root).init();
  const tmp = join(root, 'blobs', 'tmp');
  const live = `${ownedName('blob')}-a1`;
  const reusedPid = `blob-${process.pid}-1-b2`; // this pid, another start time: a process gone
  const pidOnly = `${2 ** 22 + 7}-c3`; // an older strata's: by pid alone
  const nameless = 'f'.repeat(64); // an older strata's: no owner at all
  for (const name of [live, reusedPid, pidOnly, nameless]) await writeFile(join(tmp, name), 'partial');
  await new ContentStore(root).init();
  t.deepEqual(await readdir(tmp), [live]);
});
