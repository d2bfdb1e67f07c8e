// The seed tutorial's workflow through the CLI, on every driver: run a command
// that changes files, `ps -a`, `diff`, `commit -m -a`, run the new image,
// `history`, `rm` — and the runtime's files (/etc/hosts, hostname,
// resolv.conf) present in the container yet never in diff, export or commit.
import test from 'ava';
import { DRIVERS, RUNTIMES, tarPaths, testOn, withStrata } from './fixtures.js';

/** Docker's `docker diff d1` for the seed command (notes/docker-images.md). */
const SEED_COMMAND = 'echo x > /tmp/new; mkdir -p /etc/x; echo y >> /etc/passwd; rm /bin/sh';
const SEED_DIFF = ['C /bin', 'D /bin/sh', 'C /etc', 'C /etc/passwd', 'A /etc/x', 'C /tmp', 'A /tmp/new'];
const RUNTIME_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf'];

/** A table's cells, split where Docker's columns are (two spaces or more). */
function cells(line: string): string[] {
  return line.trim().split(/\s{2,}/);
}

for (const driver of DRIVERS) {
  for (const runtime of RUNTIMES) {
    const maybe = testOn(test, driver, runtime);

    // The full workflow on the built-in runtime; runc runs the keep-files case below.
    if (runtime === 'builtin') {
      maybe('seed: run, ps -a, diff, commit -m -a, run the new image, history, export, rm', (t) => withStrata(driver, runtime, async (s) => {
        t.is((await s.run(['--name', 'd1', 'bb', 'sh', '-c', SEED_COMMAND])).status, 0);
        const e3 = await s.run(['--name', 'e3', 'bb', 'sh', '-c', 'echo hi; exit 3']);
        t.is(e3.status, 3);
        t.is(e3.stdout, 'hi\n');

        const ps = (await s.cli(['ps', '-a'])).stdout.trimEnd().split('\n');
        t.deepEqual(cells(ps[0]!), ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']);
        t.is(ps.length, 3);
        const row = cells(ps.find((l) => l.endsWith(' e3'))!);
        t.regex(row[0]!, /^[0-9a-f]{12}$/);
        t.deepEqual(row.slice(1, 3), ['bb', `"sh -c 'echo hi; exi…"`]);
        t.regex(row[3]!, / ago$/);
        t.regex(row[4]!, /^Exited \(3\) .+ ago$/);
        t.is(row[5], 'e3');
        t.is((await s.cli(['ps'])).stdout.trimEnd().split('\n').length, 1, 'ps without -a lists running containers only');
        t.is((await s.cli(['ps', '-a', '-q'])).stdout.split('\n').filter(Boolean).length, 2);

        const diff = await s.cli(['diff', 'd1']);
        t.is(diff.status, 0, diff.stderr);
        t.deepEqual(diff.stdout.trimEnd().split('\n'), SEED_DIFF);

        const commit = await s.cli(['commit', '-m', 'a message', '-a', 'Ann Author <ann@example.org>', 'd1', 'bb:committed']);
        t.is(commit.status, 0, commit.stderr);
        t.regex(commit.stdout, /^sha256:[0-9a-f]{64}\n$/);
        t.deepEqual((await s.cli(['diff', 'd1'])).stdout.trimEnd().split('\n'), SEED_DIFF, 'diff after commit still compares with the image');

        // The new image has the change (and no /bin/sh: busybox runs the shell).
        const seen = await s.run(['--rm', 'bb:committed', '/bin/busybox', 'sh', '-c', 'cat /tmp/new; tail -n 1 /etc/passwd; test -d /etc/x && echo dir; test -e /bin/sh || echo no-sh']);
        t.is(seen.status, 0, seen.stderr);
        t.is(seen.stdout, 'x\ny\ndir\nno-sh\n');

        const history = (await s.cli(['history', 'bb:committed'])).stdout.trimEnd().split('\n');
        t.is(history.length, 3);
        t.true(history[1]!.includes('sh -c echo x > /tmp/new; mkdir -p /etc/x; ec…'), history[1]);
        t.true(history[1]!.trimEnd().endsWith('a message'), history[1]);
        t.true(history[2]!.trimEnd().endsWith('Imported from -'), history[2]);
        const [inspected] = JSON.parse((await s.cli(['inspect', 'bb:committed'])).stdout) as { Author: string; Container: string }[];
        t.is(inspected!.Author, 'Ann Author <ann@example.org>');
        t.regex(inspected!.Container, /^[0-9a-f]{64}$/);

        // export: the flattened file system, without the runtime's files.
        const exported = await s.cli(['export', 'd1']);
        t.is(exported.status, 0, exported.stderr);
        const paths = tarPaths(exported.raw);
        for (const p of ['bin/busybox', 'bin/ls', 'tmp/new', 'etc/x', 'etc/passwd']) t.true(paths.includes(p), p);
        t.false(paths.includes('bin/sh'));
        for (const p of RUNTIME_FILES) t.false(paths.includes(p), p);

        const rm = await s.cli(['rm', 'd1', 'e3']);
        t.is(rm.status, 0, rm.stderr);
        t.is(rm.stdout, 'd1\ne3\n');
        t.is((await s.cli(['ps', '-a'])).stdout.trimEnd().split('\n').length, 1);
        t.is((await s.cli(['rm', 'e3'])).stderr, 'strata: No such container: e3\n');
      }));
    }

    maybe('a committed container keeps its files and runs again; /etc/hosts, hostname, resolv.conf never in diff, export or commit', (t) => withStrata(driver, runtime, async (s) => {
      const script = 'test -s /etc/hosts && test -s /etc/hostname && test -e /etc/resolv.conf && cat /etc/hostname; cat /tmp/mark 2>/dev/null; echo one >> /tmp/mark';
      const first = await s.run(['--name', 'keep', 'bb', 'sh', '-c', script]);
      t.is(first.status, 0, first.stderr);
      t.regex(first.stdout, /^[0-9a-f]{12}\n$/);
      const diff1 = await s.cli(['diff', 'keep']);
      t.deepEqual(diff1.stdout.trimEnd().split('\n'), ['C /tmp', 'A /tmp/mark'], `first diff: ${diff1.stderr}`);

      t.regex((await s.cli(['commit', 'keep', 'bb:k1'])).stdout, /^sha256:[0-9a-f]{64}\n$/);
      const again = await s.cli(['start', 'keep']);
      t.is(again.status, 0, again.stderr);
      t.is(again.stdout, `${first.stdout}one\n`, 'the container still has /tmp/mark after the commit');
      const diff2 = await s.cli(['diff', 'keep']);
      t.deepEqual(diff2.stdout.trimEnd().split('\n'), ['C /tmp', 'A /tmp/mark'], `diff after commit and start: ${diff2.stderr}`);

      t.regex((await s.cli(['commit', 'keep', 'bb:k2'])).stdout, /^sha256:[0-9a-f]{64}\n$/);
      const image = await s.run(['--rm', 'bb:k2', 'sh', '-c', 'cat /tmp/mark']);
      t.is(image.stdout, 'one\none\n');
      // export flattens the container's layer and the two committed below it.
      const exported = tarPaths((await s.cli(['export', 'keep'])).raw);
      t.true(exported.includes('tmp/mark'));
      for (const p of RUNTIME_FILES) t.false(exported.includes(p), p);
      t.is((await s.cli(['rm', 'keep'])).status, 0);
      t.is((await s.cli(['rmi', 'bb:k2', 'bb:k1'])).status, 0);
    }));
  }
}
