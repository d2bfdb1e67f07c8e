import test from 'ava';
import { join } from 'node:path';
import type { StorageDriver } from '../../core/engine.js';
import { layerTar } from '../overlay/fixtures.js';
import { newDriver, run, sh, testNeedingAll } from './fixtures.js';

// A file held open while `rm -rf` removes its directory, as a build step's
// process or a log writer does in a container. In kernel overlayfs the name
// goes at once and the file lives on through its descriptor; libfuse 2
// without hard_remove renamed it to .fuse_hidden… instead, so the directory
// was not empty and rm failed with "Directory not empty".

/**
 * Run by a child node (never this process touching the mount): opens
 * d/lower (read-write: a copy-up), d/ro (read-only: the lower file itself)
 * and d/new (made in the top layer), runs `rm -rf d`, then uses the three
 * descriptors. Prints what it saw as JSON.
 */
const HOLDER = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const rw = fs.openSync('d/lower', 'r+');
const ro = fs.openSync('d/ro', 'r');
fs.writeFileSync('d/new', 'new file\\n');
const made = fs.openSync('d/new', 'r+');
const out = {};
try { execFileSync('rm', ['-rf', 'd'], { stdio: 'pipe' }); out.rm = 'ok'; } catch (err) { out.rm = String(err.stderr); }
out.gone = !fs.existsSync('d');
out.listing = fs.readdirSync('.').sort();
const text = (fd) => { const b = Buffer.alloc(64); return b.subarray(0, fs.readSync(fd, b, 0, 64, 0)).toString(); };
out.sizes = [rw, ro, made].map((fd) => fs.fstatSync(fd).size);
out.ro = text(ro);
fs.writeSync(rw, 'LOWER', 0);
out.rw = text(rw);
fs.ftruncateSync(made, 3);
fs.writeSync(made, '!', 3);
out.made = text(made);
out.madeSize = fs.fstatSync(made).size;
fs.fsyncSync(made);
for (const fd of [rw, ro, made]) fs.closeSync(fd);
console.log(JSON.stringify(out));
`;

/** A base layer with srv/d/{lower,ro}, a writable layer on it; runs HOLDER in its mount's srv. */
async function holdWhileRemoving(driver: StorageDriver): Promise<unknown> {
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar({ 'srv/': '', 'srv/keep': 'keep\n', 'srv/d/': '', 'srv/d/lower': 'lower file\n', 'srv/d/ro': 'read only\n' }));
  await driver.create('rw', 'base', { writable: true });
  const mnt = await driver.mount('rw');
  const { stdout } = await run(process.execPath, ['-e', HOLDER], { cwd: join(mnt, 'srv') });
  return JSON.parse(stdout);
}

await testNeedingAll(test, ['fuse'], 'rm -rf of a directory holding open files succeeds; the files stay usable through their descriptors and leave nothing behind', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const seen = await holdWhileRemoving(fuse);
  t.like(seen, {
    rm: 'ok',
    gone: true,
    listing: ['keep'],
    sizes: ['lower file\n'.length, 'read only\n'.length, 'new file\n'.length],
    ro: 'read only\n',
    rw: 'LOWER file\n',
    made: 'new!',
    madeSize: 4,
  });
  const mnt = await fuse.mount('rw'); // a second reference: the same mount
  t.is(await sh(join(mnt, 'srv'), 'ls -A'), 'keep\n', 'no .fuse_hidden file in the union');
  await fuse.unmount('rw');
  await fuse.unmount('rw');
  const upper = await sh(join(mnt, '..', 'diff'), 'find . | sort');
  t.notRegex(upper, /fuse_hidden/, 'nor in the top layer');
  t.deepEqual(await fuse.changes('rw', 'base'), [{ kind: 'C', path: '/srv' }, { kind: 'D', path: '/srv/d' }], 'the layer records the deletion');
  t.is(await fuse.stat('rw', '/srv/d'), undefined);
});

/**
 * Run by a child node in a writable mount: opens f twice (two handles, the second the node's
 * latest), removes f, starts fstat(2) of the first descriptor and closes the second 20 ms
 * later. Prints the fstat's answer and whether the close came first.
 */
const TWO_HANDLES = `
const fs = require('node:fs');
fs.writeFileSync('f', 'twelve bytes');
const first = fs.openSync('f', 'r');
const second = fs.openSync('f', 'r');
fs.unlinkSync('f');
let closed = false;
fs.fstat(first, (err, st) => {
  console.log(JSON.stringify({ answer: err ? err.code : st.size, closedFirst: closed }));
  fs.closeSync(first);
});
setTimeout(() => { fs.closeSync(second); closed = true; }, 20);
`;

// fstat of a file removed while open reaches the mount without a handle; the mount's channel
// gives that GETATTR the node's latest open handle, the backing file's descriptor. Another
// handle's close must not close that descriptor under the fstat: the channel holds the handle
// until the GETATTR is answered, and the RELEASE waits. The mount's test knob stalls the fstat
// for 150 ms; without the hold, the answer was EBADF (or a reused descriptor's file).
await testNeedingAll(test, ['fuse'], 'fstat of a removed open file while another handle of it closes answers the file\'s size', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  await fuse.create('base', null, { writable: false });
  await fuse.applyDiff('base', null, layerTar({ 'srv/': '' }));
  await fuse.create('rw', 'base', { writable: true });
  process.env.STRATA_FUSE_TEST_FGETATTR_DELAY_MS = '150'; // read by the mount process as it starts
  let mnt: string;
  try {
    mnt = await fuse.mount('rw');
  } finally {
    delete process.env.STRATA_FUSE_TEST_FGETATTR_DELAY_MS;
  }
  const { stdout } = await run(process.execPath, ['-e', TWO_HANDLES], { cwd: join(mnt, 'srv') });
  t.deepEqual(JSON.parse(stdout), { answer: 'twelve bytes'.length, closedFirst: true });
  t.is(await sh(join(mnt, 'srv'), 'ls -A'), '');
  await fuse.unmount('rw');
});
