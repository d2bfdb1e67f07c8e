import type { DriverRuntime } from '../../core/engine.js';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext, TestFn } from 'ava';
import type { StorageDriver } from '../../core/engine.js';
import { registerUnless } from '../../core/testkit/index.js';
import { FuseDriver } from '../../drivers/fuse/index.js';
import { OverlayDriver } from '../../drivers/overlay/index.js';
import { unmet } from '../helpers/prerequisites.js';
import { layerTar } from '../overlay/fixtures.js';
import type { Spec } from '../overlay/fixtures.js';

export { bytesOf } from '../overlay/fixtures.js';
import type { Need } from '../helpers/prerequisites.js';
import { wrapDriver } from '../../core/engine.js';

export const run = promisify(execFile);

/** Registers a serial test needing every one of `needs`; see test/helpers/prerequisites.ts. */
export async function testNeedingAll(test: TestFn, needs: readonly Need[], title: string, impl: (t: ExecutionContext) => Promise<void>): Promise<void> {
  let reason: string | undefined;
  for (const need of needs) reason ??= await unmet(need);
  registerUnless(test, reason === undefined ? undefined : { reason, prerequisite: true }, title, impl);
}

/**
 * When the test has failed, logs (t.log) every mount log of the fuse home
 * (`<home>/mounts/<id>.log`): the mount processes' own errors and the notes
 * of their life — mounted, signalled by whom, exit status or signal — so a
 * mount that died under a test says why. Call in a teardown, before the
 * home is removed.
 */
export async function logMountsIfFailed(t: ExecutionContext, home: string): Promise<void> {
  if (t.passed) return;
  const dir = join(home, 'mounts');
  const logs = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.log')).sort();
  for (const name of logs) {
    const text = await readFile(join(dir, name), 'utf8').catch((err: Error) => `(unreadable: ${err.message})`);
    t.log(`mount log ${join(dir, name)}:\n${text.trimEnd() || '(empty)'}`);
  }
}

/** A driver of kind in a fresh temp home; its mounts are dropped and its files removed when the test ends (a failed test logs its mounts' logs first). */
export async function newDriver(t: ExecutionContext, kind: 'fuse' | 'overlay'): Promise<DriverRuntime> {
  const work = await mkdtemp(join(tmpdir(), `strata-${kind}-`));
  const home = join(work, 'home');
  const driver = kind === 'fuse' ? wrapDriver((c) => new FuseDriver(c), home) : wrapDriver((c) => new OverlayDriver(c), home);
  await driver.init();
  t.teardown(async () => {
    if (kind === 'fuse') await logMountsIfFailed(t, home);
    for (const id of await readdir(join(home, 'layers')).catch(() => [] as string[])) {
      for (let n = await driver.mountCount(id).catch(() => 0); n > 0; n--) await driver.unmount(id);
    }
    await rm(work, { recursive: true, force: true });
  });
  return driver;
}

/** The 3-layer stack every program test uses: base, a layer of changes and deletions, a layer with an opaque dir. */
export const STACK: readonly Spec[] = [
  {
    'etc/': '', 'etc/motd': 'hello\n', 'etc/conf/': '', 'etc/conf/a': 'a\n', 'etc/conf/b': 'b\n',
    'usr/': '', 'usr/bin/': '', 'usr/bin/tool': '#!/bin/sh\necho v1\n', 'usr/share/': '', 'usr/share/doc/': '',
    'usr/share/doc/readme': 'read me\n'.repeat(5000), 'lib/': '', 'lib/libc': 'libc\n'.repeat(20000),
  },
  {
    'usr/bin/tool': '#!/bin/sh\necho v2\n', 'usr/lib/': '', 'usr/lib/libx': 'x\n', 'var/': '', 'var/log/': '',
    'var/log/old': 'old\n', 'etc/conf/.wh.b': '', 'etc/link': '->motd',
  },
  {
    'etc/.wh.motd': '', 'home/': '', 'home/u/': '', 'home/u/notes': 'notes\n', 'usr/share/doc/.wh..wh..opq': '',
    'usr/share/doc/new': 'new doc\n',
  },
];

/** Applies STACK as read-only layers s0, s1, s2 (then a writable layer `rw` on top when asked). */
export async function buildStack(driver: StorageDriver, writableTop: boolean): Promise<string> {
  let parent: string | null = null;
  for (const [i, spec] of STACK.entries()) {
    const id = `s${i}`;
    await driver.create(id, parent, { writable: false });
    await driver.applyDiff(id, parent, layerTar(spec));
    parent = id;
  }
  if (!writableTop) return parent!;
  await driver.create('rw', parent, { writable: true });
  return 'rw';
}

/** Runs a shell script in dir (a child process: never this process touching a mount). */
export async function sh(dir: string, script: string): Promise<string> {
  return (await run('sh', ['-c', `set -e\n${script}`], { cwd: dir, maxBuffer: 64 * 1024 * 1024 })).stdout;
}

/** `find -type f | xargs sha256sum`, sorted: every file's content under dir. */
export function fileHashes(dir: string): Promise<string> {
  return sh(dir, 'find . -type f -print0 | sort -z | xargs -0 -r sha256sum');
}
