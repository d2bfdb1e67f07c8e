import test from 'ava';
import { spawn } from 'node:child_process';
import { lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMounted } from '../../core/engine.js';
import { processStat } from '../../core/process-stat.js';
import { FuseDriver } from '../../drivers/fuse/index.js';
import { buildStack, newDriver, run, sh, testNeedingAll } from './fixtures.js';
import { wrapDriver } from '../../core/engine.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The home a driver's merged directory lies in (layers/<id>/merged). */
const homeOf = (merged: string): string => join(merged, '..', '..', '..');

/** The pid of id's mount process, from its pid file (`<pid> <start time>`). */
async function servingPid(merged: string, id: string): Promise<number> {
  return Number((await readFile(join(homeOf(merged), 'mounts', `${id}.pid`), 'utf8')).trim().split(' ')[0]);
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
  t.true([undefined, 'Z'].includes(processStat(pid)?.state), 'and its process (gone, or a zombie its adopter has not reaped yet)');
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

await testNeedingAll(test, ['fuse'], 'a mount process leaves its life in the mount log: served, signalled, its exit status or signal, a stale mount cleared', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const merged = await fuse.mount(top);
  const log = join(homeOf(merged), 'mounts', `${top}.log`);
  const first = await servingPid(merged, top);
  process.kill(first, 'SIGTERM');
  await until('the mount to go after SIGTERM', async () => !(await isMounted(merged)));
  await until('its exit noted', async () => (await readFile(log, 'utf8')).includes(`mount process ${first} exited`));
  const afterTerm = await readFile(log, 'utf8');
  t.regex(afterTerm, new RegExp(`pid ${first}: serving ${merged}\\n`), 'the mount process says it serves');
  t.regex(afterTerm, new RegExp(`pid ${first}: SIGTERM: unmounting\\n`), 'and that SIGTERM ends it');
  t.regex(afterTerm, new RegExp(`pid ${first}: exit status 0\\n`));
  t.regex(afterTerm, new RegExp(`pid ${process.pid}: mount process ${first} exited: status 0\\n`), 'its supervisor saw it exit');

  await fuse.mount(top);
  const second = await servingPid(merged, top);
  t.true((await readFile(log, 'utf8')).startsWith(afterTerm), 'a new mount appends to the log of the last');
  process.kill(second, 'SIGKILL');
  await until('its death noted', async () => (await readFile(log, 'utf8')).includes(`mount process ${second} exited`));
  const fresh = wrapDriver((c) => new FuseDriver(c), homeOf(merged));
  await fresh.init();
  const afterKill = (await readFile(log, 'utf8')).slice(afterTerm.length);
  t.regex(afterKill, new RegExp(`mount process ${second} exited: signal SIGKILL\\n`), 'a killed process: the signal');
  t.regex(afterKill, new RegExp(`stale mount cleared: its mount process ${second} is gone\\n`), 'and the stale mount that init found');

  await fresh.mount(top);
  const third = await servingPid(merged, top);
  await fresh.unmount(top);
  t.regex(await readFile(log, 'utf8'), new RegExp(`stop: SIG(KILL|TERM) to mount process ${third}`), 'an unmount notes how it ended the process');
});

/**
 * A mounted layer whose mount process was killed (a stale mount, ENOTCONN),
 * its pid file then pointing at `pid` with start time `started`: what a
 * later command finds when the pid was reused, or its process not reaped.
 */
async function staleMountRecordedAs(t: Parameters<typeof newDriver>[0], pid: number, started: string): Promise<{ merged: string; top: string }> {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const merged = await fuse.mount(top);
  process.kill(await servingPid(merged, top), 'SIGKILL');
  await until('the stale mount to fail with ENOTCONN', async () => stat(merged).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ENOTCONN'));
  await writeFile(join(homeOf(merged), 'mounts', `${top}.pid`), `${pid} ${started}\n`);
  return { merged, top };
}

/** A child process that runs until the test ends. */
function bystander(t: Parameters<typeof newDriver>[0], args: string[]) {
  const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => void child.kill('SIGKILL'));
  return child;
}

await testNeedingAll(test, ['fuse'], 'a mount process pid now used by another process: init clears the stale mount and never signals that process', async (t) => {
  const other = bystander(t, ['sleep', '300']);
  const { merged, top } = await staleMountRecordedAs(t, other.pid!, '1'); // the pid, with a start time that is not the process's
  const fresh = wrapDriver((c) => new FuseDriver(c), homeOf(merged));
  await fresh.init();
  t.false(await isMounted(merged), 'init cleared the stale mount');
  t.is(await fresh.mountCount(top), 0);
  t.is(await sh(await fresh.mount(top), 'cat etc/conf/a'), 'a\n', 'a new mount serves');
  await fresh.unmount(top);
  t.is(other.exitCode, null, 'the process that got the pid still runs');
  t.is(other.signalCode, null);
});

await testNeedingAll(test, ['fuse'], 'a mount process that exited but is not reaped yet (a zombie) counts as gone: init clears its stale mount', async (t) => {
  // `sleep 2`, started in the background, becomes the child of `sleep 300` (exec), which never reaps it.
  const parent = bystander(t, ['sh', '-c', 'sleep 2 & echo $!; exec sleep 300']);
  const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (b: Buffer) => resolve(b.toString()))));
  await until('the child to become a zombie', async () => processStat(zombie)?.state === 'Z');
  const { merged, top } = await staleMountRecordedAs(t, zombie, processStat(zombie)!.started);
  const fresh = wrapDriver((c) => new FuseDriver(c), homeOf(merged));
  await fresh.init();
  t.false(await isMounted(merged), 'init cleared the stale mount');
  t.is(await fresh.mountCount(top), 0, 'and its count: a mount would not hand out the dead mount');
  t.is(await sh(await fresh.mount(top), 'cat etc/conf/a'), 'a\n', 'a new mount serves');
  await fresh.unmount(top);
});

await testNeedingAll(test, ['fuse'], 'a mount that fails says why: the mount process\'s own line, not the notes around it; a second failure reports its own', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const merged = join(homeOf(await fuse.mount(top)), 'layers', top, 'merged');
  await fuse.unmount(top);
  await rm(merged, { recursive: true });
  await writeFile(merged, 'not a directory\n');
  for (let i = 0; i < 2; i++) {
    await t.throwsAsync(fuse.mount(top), { message: `fuse mount of layer ${top} failed: strata fuse: cannot mount: Mountpoint is not a directory` });
  }
  t.is(await fuse.mountCount(top), 0);
});
