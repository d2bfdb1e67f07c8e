import test from 'ava';
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMounted } from '../../core/engine.js';
import { FuseDriver } from '../../drivers/fuse/index.js';
import { buildStack, newDriver, run, sh, testNeedingAll } from './fixtures.js';
import { wrapDriver } from '../../core/engine.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The home a driver's merged directory lies in (layers/<id>/merged). */
const homeOf = (merged: string): string => join(merged, '..', '..', '..');

async function servingPid(merged: string, id: string): Promise<number> {
  return Number((await readFile(join(homeOf(merged), 'mounts', `${id}.pid`), 'utf8')).trim());
}

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++, await sleep(20)) if (await done()) return;
  throw new Error(`gave up waiting: ${what}`);
}

await testNeedingAll(test, ['fuse'], 'a mount outlives the process that made it; another process unmounts it', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const merged = join(homeOf((await fuse.mount(top))), 'layers', top, 'merged');
  await fuse.unmount(top);
  const home = homeOf(merged);
  const driverUrl = new URL('../../drivers/fuse/index.js', import.meta.url).href;
  const engineUrl = new URL('../../core/engine.js', import.meta.url).href;
  const script = `const { FuseDriver } = await import(${JSON.stringify(driverUrl)}); const { wrapDriver } = await import(${JSON.stringify(engineUrl)});
    const d = wrapDriver((c) => new FuseDriver(c), ${JSON.stringify(home)}); await d.init(); console.log(await d.mount('rw'));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  t.is(stdout.trim(), merged, 'the other process mounted the layer and exited');
  t.is(await sh(merged, 'echo written > new-file && cat new-file usr/bin/tool'), 'written\n#!/bin/sh\necho v2\n', 'the mount works after its maker exited');
  const other = wrapDriver((c) => new FuseDriver(c), home);
  await other.init();
  t.is(await other.mountCount(top), 1, 'init keeps a live mount and its count');
  const pid = await servingPid(merged, top);
  await other.unmount(top);
  t.false(await isMounted(merged), 'unmount ends the mount');
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'and its process');
  t.like(await fuse.stat(top, '/new-file'), { type: 'file', size: 8 });
});

await testNeedingAll(test, ['fuse'], 'SIGTERM to the mount process unmounts; a killed one leaves a stale mount that init clears', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const merged = await fuse.mount(top);
  process.kill(await servingPid(merged, top), 'SIGTERM');
  await until('the mount to go after SIGTERM', async () => !(await isMounted(merged)));
  t.pass('SIGTERM unmounted');

  t.is(await fuse.mount(top), merged, 'mount again (the count said mounted, nothing served)');
  t.is(await sh(merged, 'cat etc/conf/a'), 'a\n');
  process.kill(await servingPid(merged, top), 'SIGKILL');
  await until('the stale mount to fail with ENOTCONN', async () => stat(merged).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ENOTCONN'));
  t.true(await isMounted(merged), 'a killed process leaves its mount behind');
  const fresh = wrapDriver((c) => new FuseDriver(c), homeOf(merged));
  await fresh.init();
  t.false(await isMounted(merged), 'init cleared the stale mount');
  t.is(await fresh.mountCount(top), 0, 'and its count');
  t.true((await lstat(merged)).isDirectory(), 'the mount point is a plain directory again');
});
