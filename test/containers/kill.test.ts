// `kill -9` of `strata run`: the container's processes die with it, the next
// command records the container as exited and leaves no mount, `diff` does not
// show the runtime's stubs, and `rm` frees the layer. Every driver (fuse: the
// mount process outlives strata until the next command); runc on overlay and fuse.
import test from 'ava';
import { DRIVERS, RUNTIMES, eventually, mountedAnywhere, mountsUnder, processesWith, testOn, withStrata } from './fixtures.js';

let serial = 0;

for (const driver of DRIVERS) {
  // runc on the two drivers whose mounts are kernel or a process of their own (vfs and btrfs-sim are directories).
  for (const runtime of RUNTIMES.filter((r) => r === 'builtin' || driver === 'overlay' || driver === 'fuse')) {
    testOn(test, driver, runtime)('kill -9 of strata run: no process, no mount, exited at the next command, rm frees its layer', (t) => withStrata(driver, runtime, async (s) => {
      const marker = `sleep 9${serial++}${process.pid}`;
      const child = s.spawnRun(['--name', 'victim', 'bb', ...marker.split(' ')]);
      const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      t.true(await eventually(async () => (await processesWith(marker, true)).length > 0), 'the container started');
      child.kill('SIGKILL');
      await gone;
      t.true(await eventually(async () => (await processesWith(marker)).length === 0), 'the container\'s processes died with strata');

      const ps = await s.cli(['ps', '-a']);
      t.regex(ps.stdout.split('\n')[1] ?? '', /Exited \(137\) .* ago\s+victim$/);
      t.deepEqual(await mountsUnder(s.root), [], 'no mount is left in the host\'s namespace after the next command');
      // Another built-in container started meanwhile (a concurrent test) holds a copy of the mount
      // until it exits: the built-in runner chroots without pivot_root. So: eventually none anywhere.
      t.true(await eventually(async () => !(await mountedAnywhere(s.root))), 'no process\'s mount table names the store');
      t.is((await s.cli(['diff', 'victim'])).stdout, '', 'the runtime\'s stubs are not left in the layer');
      t.is((await s.cli(['ps', '-q'])).stdout, '', 'not running');

      t.is((await s.cli(['rm', 'victim'])).status, 0);
      const layers = JSON.parse((await s.cli(['--json', 'layer', 'ls'])).stdout) as unknown[];
      t.is(layers.length, 1, 'only the image\'s layer is left');
      t.true(await eventually(async () => !(await mountedAnywhere(s.root))));
    }));
  }
}

// `rm -f` of a running container kills the strata process running it, and cleans up as the next command would.
const RM_DRIVER = DRIVERS.includes('overlay') ? 'overlay' : DRIVERS[0]!;
for (const runtime of RUNTIMES) {
  testOn(test, RM_DRIVER, runtime)('rm of a running container is refused; rm -f kills it and frees its layer', (t) => withStrata(RM_DRIVER, runtime, async (s) => {
    const marker = `sleep 8${serial++}${process.pid}`;
    const child = s.spawnRun(['--name', 'busy', 'bb', ...marker.split(' ')]);
    const gone = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? null : 128 + 9))));
    t.true(await eventually(async () => (await processesWith(marker, true)).length > 0), 'the container started');
    t.regex((await s.cli(['ps'])).stdout, /Up .*\s+busy\n/);
    const refused = await s.cli(['rm', 'busy']);
    t.not(refused.status, 0);
    t.regex(refused.stderr, /You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/);
    t.is((await s.cli(['rm', '-f', 'busy'])).status, 0);
    await gone;
    t.true(await eventually(async () => (await processesWith(marker)).length === 0), 'the container\'s processes are gone');
    t.is((await s.cli(['ps', '-a', '-q'])).stdout, '');
    t.is((JSON.parse((await s.cli(['--json', 'layer', 'ls'])).stdout) as unknown[]).length, 1);
    t.deepEqual(await mountsUnder(s.root), []);
    t.true(await eventually(async () => !(await mountedAnywhere(s.root))));
  }));
}
