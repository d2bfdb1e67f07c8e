import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ExecutionContext } from 'ava';
import { helloRootfsTar } from '../../demo/hello-elf.js';
import { unmet, type Need } from '../helpers/prerequisites.js';
import { runPeer } from '../helpers/peers/index.js';
import { describeTree } from '../image-archives/support.js';
import { runCli, type CliResult } from '../cli/run-cli.js';

/**
 * The image tests' shared pieces: a CLI bound to one temporary root and
 * driver, the hello image's tarball, and views of a root (its blobs folder,
 * `layer ls`) that tell whether anything was left behind.
 */

/** The four built-in drivers and what each needs here (the directory drivers need nothing). */
export const DRIVERS: ReadonlyArray<{ name: string; need?: Need }> = [
  { name: 'vfs' },
  { name: 'overlay', need: 'overlay' },
  { name: 'fuse', need: 'fuse' },
  { name: 'btrfs-sim' },
];

/** Why `driver` cannot run here, or undefined. */
export async function driverUnmet(driver: string): Promise<string | undefined> {
  const need = DRIVERS.find((d) => d.name === driver)?.need;
  return need === undefined ? undefined : unmet(need);
}

/** A temp directory removed (after unmounting anything under it) when the test ends. */
export async function scratch(t: ExecutionContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `strata-img-${prefix}-`));
  t.teardown(async () => {
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Lazily unmounts every mount below dir, deepest first. */
export async function unmountUnder(dir: string): Promise<void> {
  await runPeer('sh', ['-c', `grep -o ' ${dir}/[^ ]*' /proc/self/mounts | sort -r | xargs -r -n1 umount -l`]).catch(() => undefined);
}

/** `strata --root ROOT --driver DRIVER ...`, as a function; `ok` fails the test on a non-zero exit. */
export interface Strata {
  readonly root: string;
  readonly driver: string;
  (...args: string[]): Promise<CliResult>;
  ok(...args: string[]): Promise<string>;
}

export function strataAt(t: ExecutionContext, root: string, driver: string): Strata {
  const run = (...args: string[]) => runCli(['--root', root, '--driver', driver, ...args]);
  const ok = async (...args: string[]) => {
    const result = await run(...args);
    if (result.status !== 0) t.fail(`strata ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  return Object.assign(run, { root, driver, ok });
}

/** Writes the demo's hello root filesystem (one file `hello`, 166 bytes) as a tar; returns its path. */
export async function helloTar(dir: string): Promise<string> {
  const path = join(dir, 'hello-rootfs.tar');
  await pipeline(helloRootfsTar('amd64'), createWriteStream(path));
  return path;
}

/** The diff_id Docker reports for the hello layer (notes/docker-images.md). */
export const HELLO_DIFF_ID = 'sha256:bc17230cf5cb5939026df6fb5801d05736c7c8138a537c2ea81b423fc074ddf0';

/** Table rows of a Docker-style listing (header dropped), each split on runs of 2+ spaces. */
export function tableRows(stdout: string): string[][] {
  return stdout.split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/ {2,}/));
}

/** Every file under `<root>/blobs` (recursively), relative names. */
export async function blobFiles(root: string): Promise<string[]> {
  const entries = await readdir(join(root, 'blobs'), { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

/** The layer ids `layer ls --json` lists. */
export async function layerIds(strata: Strata): Promise<string[]> {
  const listed = JSON.parse(await strata.ok('--json', 'layer', 'ls')) as Array<{ id: string }>;
  return listed.map((l) => l.id);
}

/** The image ids `images -a --json` lists. */
export async function imageIds(strata: Strata): Promise<string[]> {
  const listed = JSON.parse(await strata.ok('--json', 'images', '-a')) as Array<{ ID: string }>;
  return listed.map((l) => l.ID);
}

/**
 * A listing of a tree saying everything an unpacked image must keep (see
 * describeTree), plus hard-link identity: which paths share an inode.
 */
export async function describeImageTree(root: string): Promise<string> {
  const groups = await runPeer('sh', ['-c', `cd "$1" && find . -type f -links +1 -printf '%i %p\\n'`, 'sh', root]);
  const byInode = new Map<string, string[]>();
  for (const line of groups.split('\n').filter(Boolean)) {
    const [inode, path] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    byInode.set(inode, [...(byInode.get(inode) ?? []), path]);
  }
  const linked = [...byInode.values()].map((paths) => `same inode: ${paths.sort().join(' ')}`).sort();
  return [await describeTree(root), ...linked].join('\n');
}
