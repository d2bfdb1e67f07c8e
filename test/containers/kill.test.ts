// `kill -9` of `strata run`: the container's processes die with it, the next
// command records the container as exited and leaves no mount, `diff` does not
// show the runtime's stubs, and `rm` frees the layer. Every driver (fuse: the
// mount process outlives strata until the next command), both runtimes.
import test from 'ava';
import { DRIVERS, RUNTIMES, eventually, mountedAnywhere, processesWith, testOn, withStrata } from './fixtures.js';

let serial = 0;

for (const driver of DRIVERS) {
  for (const runtime of RUNTIMES) {
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
      t.false(await mountedAnywhere(s.root), 'no mount is left after the next command');
      t.is((await s.cli(['diff', 'victim'])).stdout, '', 'the runtime\'s stubs are not left in the layer');
      t.is((await s.cli(['ps', '-q'])).stdout, '', 'not running');

      t.is((await s.cli(['rm', 'victim'])).status, 0);
      const layers = JSON.parse((await s.cli(['--json', 'layer', 'ls'])).stdout) as unknown[];
      t.is(layers.length, 1, 'only the image\'s layer is left');
      t.false(await mountedAnywhere(s.root));
    }));
  }
}
