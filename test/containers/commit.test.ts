// `commit` beyond the first commit of a stopped container (seed.test.ts has that):
// a container committed twice gives an image holding every change since its
// image, even after save and load; a running container commits as Docker's
// does (paused meanwhile), without the runtime's mountpoints, and runs on.
import { join } from 'node:path';
import test from 'ava';
import { DRIVERS, RUNTIMES, eventually, processesWith, tarPaths, testOn, withStrata } from './fixtures.js';

/** Each run adds /tmp/run<N>, N counting the runs (in /tmp/n). */
const COUNTING = 'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; touch /tmp/run$n';

let serial = 0;
const DRIVER = DRIVERS.includes('overlay') ? 'overlay' : DRIVERS[0]!;

testOn(test, DRIVER, 'builtin')('a container committed twice: the second image holds both runs\' files, also after save and load', (t) => withStrata(DRIVER, 'builtin', async (s) => {
  t.is((await s.run(['--name', 'twice', 'bb', 'sh', '-c', COUNTING])).status, 0);
  t.is((await s.cli(['commit', 'twice', 'bb:one'])).status, 0);
  t.is((await s.cli(['start', 'twice'])).status, 0);
  const second = await s.cli(['commit', 'twice', 'bb:two']);
  t.is(second.status, 0, second.stderr);
  t.is((await s.cli(['history', '-q', 'bb:two'])).stdout.trim().split('\n').length, 2, 'one layer over the image, as Docker\'s commit');

  const saved = join(s.dir, 'two.tar');
  t.is((await s.cli(['save', '-o', saved, 'bb:two'])).status, 0);
  t.is((await s.cli(['rm', 'twice'])).status, 0);
  t.is((await s.cli(['rmi', 'bb:two', 'bb:one'])).status, 0);
  t.is((await s.cli(['load', '-i', saved])).status, 0);
  const seen = await s.run(['--rm', 'bb:two', 'ls', '/tmp']);
  t.is(seen.stdout, 'n\nrun1\nrun2\n', seen.stderr);
}));

for (const driver of DRIVERS) {
  for (const runtime of RUNTIMES.filter((r) => r === 'builtin' || driver === 'overlay')) {
    testOn(test, driver, runtime)('commit of a running container: its changes without the runtime\'s mountpoints; it runs on', (t) => withStrata(driver, runtime, async (s) => {
      const marker = `sleep 7${serial++}${process.pid}`;
      const child = s.spawnRun(['--name', 'live', 'bb', 'sh', '-c', `echo a > /tmp/a; exec ${marker}`]);
      const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      try {
        t.true(await eventually(async () => (await processesWith(marker, true)).length > 0), 'the container started');
        const commit = await s.cli(['commit', '-m', 'live', 'live', 'bb:live']);
        t.is(commit.status, 0, commit.stderr);
        t.regex(commit.stdout, /^sha256:[0-9a-f]{64}\n$/);
        t.regex((await s.cli(['ps'])).stdout, /Up .*\s+live\n/, 'still running after the commit');
        t.true((await processesWith(marker, true)).length > 0, 'its process runs on (thawed)');

        const seen = await s.run(['--rm', 'bb:live', 'cat', '/tmp/a']);
        t.is(seen.stdout, 'a\n', seen.stderr);
        // The image's files are the base image's and /tmp/a: no /etc/hosts, hostname or resolv.conf stubs.
        t.is((await s.cli(['create', '--name', 'base', 'bb'])).status, 0);
        t.is((await s.cli(['create', '--name', 'look', 'bb:live'])).status, 0);
        const base = tarPaths((await s.cli(['export', 'base'])).raw);
        const image = tarPaths((await s.cli(['export', 'look'])).raw);
        t.deepEqual([...image].sort(), [...base, 'tmp/a'].sort());
      } finally {
        await s.cli(['rm', '-f', 'live']);
        await gone;
      }
    }));
  }
}
