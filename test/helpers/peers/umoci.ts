import { chmod, chown, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingProgram, runPeer } from './run.js';

/**
 * umoci 0.4 as a peer: builds OCI layouts with exactly the content a test
 * asks for, and unpacks layouts (the reference unpacker). `ref` arguments are
 * `DIR:TAG`. Owners, setuid bits and xattrs need root; `unmet()` says so.
 */
export const umoci = {
  /** Why umoci cannot be used here, or undefined (needs the program and root). */
  async unmet(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return 'umoci images with owners and xattrs need root';
    return missingProgram('umoci', ['--version']);
  },
  /** A new empty layout at `dir` holding an empty image tagged `tag`. */
  async init(dir: string, tag: string): Promise<string> {
    await runPeer('umoci', ['init', '--layout', dir]);
    await runPeer('umoci', ['new', '--image', `${dir}:${tag}`]);
    return `${dir}:${tag}`;
  },
  /** Adds one layer holding `source` (a directory) at `target` in the image. */
  async insert(ref: string, source: string, target = '/'): Promise<void> {
    await runPeer('umoci', ['insert', '--image', ref, source, target]);
  },
  /** Adds one layer deleting `path` (a whiteout). */
  async whiteout(ref: string, path: string): Promise<void> {
    await runPeer('umoci', ['insert', '--image', ref, '--whiteout', path]);
  },
  /** `umoci config` with raw flags, e.g. ['--config.cmd', '/bin/true', '--config.env', 'A=1']. */
  async config(ref: string, flags: readonly string[]): Promise<void> {
    await runPeer('umoci', ['config', '--image', ref, ...flags]);
  },
  /** Commits the changes made in an unpacked `bundle`'s rootfs as a new layer of `ref`. */
  async repack(ref: string, bundle: string): Promise<void> {
    await runPeer('umoci', ['repack', '--image', ref, bundle]);
  },
  /** Unpacks `ref` into the bundle `bundle` (its tree is `bundle/rootfs`). */
  async unpack(ref: string, bundle: string): Promise<void> {
    await runPeer('umoci', ['unpack', '--image', ref, bundle]);
  },
};

/**
 * Writes a tree with the content layer tools get wrong into `dir`: setuid and
 * setgid and sticky modes, owners (ids over 65535 too), a hard link, relative
 * and absolute and dangling symlinks, a user xattr, names with spaces, UTF-8,
 * a leading dash and 150 bytes, an empty file, a nested empty directory, a
 * fifo and a character device.
 */
export async function writeOddTree(dir: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'empty/nested'), { recursive: true });
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await chmod(join(dir, 'tmp'), 0o1777);
  await writeFile(join(dir, 'bin/tool'), '#!/bin/sh\necho tool\n');
  await chown(join(dir, 'bin/tool'), 0, 50);
  await chmod(join(dir, 'bin/tool'), 0o6755);
  await link(join(dir, 'bin/tool'), join(dir, 'bin/tool-hardlink'));
  await writeFile(join(dir, 'owned'), 'owned by 1234:5678\n');
  await chown(join(dir, 'owned'), 1234, 5678);
  await chmod(join(dir, 'owned'), 0o640);
  await symlink('tool', join(dir, 'bin/relative-link'));
  await symlink('/bin/tool', join(dir, 'absolute-link'));
  await symlink('nowhere/at/all', join(dir, 'dangling-link'));
  await writeFile(join(dir, 'with xattr'), 'x');
  await runPeer('setfattr', ['-n', 'user.strata', '-v', 'value', join(dir, 'with xattr')]);
  await writeFile(join(dir, 'name with spaces é ü 日本'), 'utf-8\n');
  await writeFile(join(dir, '-leading-dash'), '');
  await writeFile(join(dir, 'n'.repeat(150)), 'long name\n');
  await writeFile(join(dir, 'big'), Buffer.alloc(300_000, 7));
  await writeFile(join(dir, 'high-ids'), 'owned by 100000:200000\n');
  await chown(join(dir, 'high-ids'), 100_000, 200_000);
  await runPeer('mkfifo', [join(dir, 'fifo')]);
  await runPeer('mknod', [join(dir, 'null-device'), 'c', '1', '3']);
}

/**
 * A layout at `dir` with image `tag` of four layers: the odd tree; a layer
 * that changes a file; a whiteout; and a layer `umoci repack` made from an
 * unpacked bundle (a file removed, a mode changed). CMD and ENV set. Returns the ref.
 */
export async function buildOddImage(dir: string, tag: string): Promise<string> {
  const ref = await umoci.init(dir, tag);
  const work = await mkdtemp(join(tmpdir(), 'strata-odd-'));
  try {
    await writeOddTree(join(work, 'one'));
    await umoci.insert(ref, join(work, 'one'), '/');
    await mkdir(join(work, 'two'));
    await writeFile(join(work, 'two/owned'), 'changed in layer two\n');
    await umoci.insert(ref, join(work, 'two'), '/');
    await umoci.whiteout(ref, '/-leading-dash');
    await umoci.unpack(ref, join(work, 'bundle'));
    await rm(join(work, 'bundle/rootfs/big'));
    await chmod(join(work, 'bundle/rootfs/empty'), 0o2775);
    await umoci.repack(ref, join(work, 'bundle'));
    await umoci.config(ref, ['--config.cmd', '/bin/tool', '--config.env', 'STRATA=1']);
    return ref;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
