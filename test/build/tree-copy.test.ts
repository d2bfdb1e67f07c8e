import test from 'ava';
import { testNeeding } from '../helpers/prerequisites.js';
import { chmod, chown, lstat, mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyDirectoryContents, type CopyOptions } from '../../core/build/exec/tree-copy.js';
import { tempDirUntilExit } from '../helpers/temp-dirs.js';

const isRoot = process.getuid?.() === 0;

/** sub/suid (4755), sub/sgid (2750), sub/plain (0640), sub/deeper/f (0600), all with mtime 1000 s. */
async function source(): Promise<string> {
  const src = await tempDirUntilExit('strata-tree-copy-src-');
  await mkdir(join(src, 'sub', 'deeper'), { recursive: true });
  const files: [string, number][] = [['sub/suid', 0o4755], ['sub/sgid', 0o2750], ['sub/plain', 0o640], ['sub/deeper/f', 0o600]];
  for (const [rel, mode] of files) {
    await writeFile(join(src, rel), rel);
    // chown first: it clears setuid/setgid
    if (isRoot && rel === 'sub/suid') await chown(join(src, rel), 7, 8);
    await chmod(join(src, rel), mode);
    await utimes(join(src, rel), 1000, 1000);
  }
  return src;
}

async function shape(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of ['dest/sub/suid', 'dest/sub/sgid', 'dest/sub/plain', 'dest/sub/deeper/f']) {
    const st = await lstat(join(root, rel));
    out[rel] = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs}`;
  }
  return out;
}

/** The same copy into a destination this copy creates and into one whose directories exist (one of them setgid). */
async function both(options: CopyOptions): Promise<{ fresh: Record<string, string>; existing: Record<string, string> }> {
  const src = await source();
  const fresh = await tempDirUntilExit('strata-tree-copy-fresh-');
  await copyDirectoryContents(src, fresh, '/dest', options);
  const existing = await tempDirUntilExit('strata-tree-copy-existing-');
  await mkdir(join(existing, 'dest', 'sub', 'deeper'), { recursive: true });
  await chmod(join(existing, 'dest', 'sub'), 0o2755);
  await copyDirectoryContents(src, existing, '/dest', options);
  return { fresh: await shape(fresh), existing: await shape(existing) };
}

await testNeeding(test, 'root', 'COPY of a directory: context files lose setuid/setgid and belong to 0:0, whether their directories are new or not', async (t) => {
  const { fresh, existing } = await both({ origin: 'context' });
  t.deepEqual(fresh, {
    'dest/sub/suid': '755 0:0 1000000',
    'dest/sub/sgid': '750 0:0 1000000',
    'dest/sub/plain': '640 0:0 1000000',
    'dest/sub/deeper/f': '600 0:0 1000000',
  });
  t.deepEqual(existing, fresh);
});

await testNeeding(test, 'root', 'COPY --chown of a directory, and a stage\'s directory (COPY --from) keeping owners and setuid bits', async (t) => {
  const chowned = await both({ origin: 'context', owner: { uid: 1000, gid: 1001 } });
  t.is(chowned.fresh['dest/sub/plain'], '640 1000:1001 1000000');
  t.is(chowned.fresh['dest/sub/suid'], '755 1000:1001 1000000');
  t.deepEqual(chowned.existing, chowned.fresh);
  const image = await both({ origin: 'stage' });
  t.is(image.fresh['dest/sub/suid'], '4755 7:8 1000000');
  t.is(image.fresh['dest/sub/sgid'], '2750 0:0 1000000');
  t.deepEqual(image.existing, image.fresh);
});
