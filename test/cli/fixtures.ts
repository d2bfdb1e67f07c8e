import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tool } from './run-cli.js';

/** Tarballs made by GNU tar, as a user would make them. */
export interface Tarballs {
  /** A base layer: /etc/motd, /etc/hostname, /bin/tool (0755), /gone.txt. */
  readonly base: string;
  /** The same tar, gzip-compressed. */
  readonly baseGz: string;
  /** A child: rewrites /etc/motd, adds /new.txt, deletes /gone.txt (whiteout). */
  readonly child: string;
}

/** What the child tarball does, as `layer changes` should report it (files only). */
export const CHILD_CHANGES = ['A /new.txt', 'C /etc/motd', 'D /gone.txt'];

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const OWNER = ['--numeric-owner', '--owner=0', '--group=0'];

export async function makeTarballs(dir: string): Promise<Tarballs> {
  const baseDir = join(dir, 'base-tree');
  await writeTree(baseDir, {
    'etc/motd': 'hello\n',
    'etc/hostname': 'base\n',
    'bin/tool': '#!/bin/sh\necho tool\n',
    'gone.txt': 'soon deleted\n',
  });
  await chmod(join(baseDir, 'bin/tool'), 0o755);
  const base = join(dir, 'base.tar');
  tool('tar', ['-C', baseDir, ...OWNER, '-cf', base, '.']);
  const baseGz = join(dir, 'base.tar.gz');
  await writeFile(baseGz, tool('gzip', ['-c', base]));

  const childDir = join(dir, 'child-tree');
  await writeTree(childDir, { 'etc/motd': 'hello, world\n', 'new.txt': 'new\n', '.wh.gone.txt': '' });
  const child = join(dir, 'child.tar');
  // Parent directories omitted, as real upper layers do; an OCI whiteout for /gone.txt.
  tool('tar', ['-C', childDir, ...OWNER, '-cf', child, './etc/motd', './new.txt', './.wh.gone.txt']);
  return { base, baseGz, child };
}
