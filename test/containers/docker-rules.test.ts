// Docker's rules for `run`, through the CLI, on both runtimes (one driver:
// overlay, or the first of STRATA_DRIVERS): entrypoint and command, env,
// working directory, user, exit statuses, names, binds, network, hostname,
// --rm, rmi of a used image, export.
import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DRIVERS, RUNTIMES, eventually, processesWith, tarPaths, testOn, withStrata, type Strata } from './fixtures.js';

const DRIVER = DRIVERS.includes('overlay') ? 'overlay' : DRIVERS[0]!;

/** Lines of stdout, sorted (env listings). */
function sortedLines(text: string): string[] {
  return text.split('\n').filter(Boolean).sort();
}

async function withEntrypointImage(s: Strata): Promise<void> {
  await s.importImage('ep', ['ENTRYPOINT ["/bin/echo", "ep"]', 'CMD ["default"]', 'ENV A=1 B=2']);
}

for (const runtime of RUNTIMES) {
  const maybe = testOn(test, DRIVER, runtime);

  maybe('entrypoint and command: args replace Cmd; --entrypoint replaces Entrypoint and drops Cmd; -e and --env-file add', (t) => withStrata(DRIVER, runtime, async (s) => {
    await withEntrypointImage(s);
    t.is((await s.run(['--rm', 'ep'])).stdout, 'ep default\n');
    t.is((await s.run(['--rm', 'ep', 'one', 'two'])).stdout, 'ep one two\n');
    t.is((await s.run(['--rm', '--entrypoint', '/bin/echo', 'ep'])).stdout, '\n', 'the image Cmd is dropped');
    const envFile = join(s.dir, 'env.list');
    await writeFile(envFile, '# a comment\n\nD=5\nB=from-file\n');
    const env = await s.run(['--rm', '--env-file', envFile, '-e', 'B=3', '-e', 'C=4', '--hostname', 'box', '--entrypoint', 'env', 'ep']);
    t.is(env.status, 0, env.stderr);
    t.deepEqual(sortedLines(env.stdout), ['A=1', 'B=3', 'C=4', 'D=5', 'HOME=/root', 'HOSTNAME=box', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    const bad = await s.run(['--rm', '-e', '=x', 'bb', 'true']);
    t.not(bad.status, 0);
    t.regex(bad.stderr, /invalid environment variable: =x/);
  }));

  maybe('-w absolute (made when missing), relative refused; -u uid and name with HOME from passwd; unknown user fails before start', (t) => withStrata(DRIVER, runtime, async (s) => {
    t.is((await s.run(['--rm', '-w', '/tmp/work', 'bb', 'pwd'])).stdout, '/tmp/work\n');
    const relative = await s.run(['--rm', '-w', 'rel', 'bb', 'pwd']);
    t.not(relative.status, 0);
    t.is(relative.stderr, "strata: the working directory 'rel' is invalid, it needs to be an absolute path\n");
    t.is((await s.run(['--rm', '-u', '1000', 'bb', 'sh', '-c', 'id; echo $HOME'])).stdout, 'uid=1000(user) gid=1000(user) groups=50(staff)\n/home/user\n');
    t.is((await s.run(['--rm', '-u', 'user', 'bb', 'sh', '-c', 'id; echo $HOME'])).stdout, 'uid=1000(user) gid=1000(user) groups=50(staff)\n/home/user\n');
    t.is((await s.run(['--rm', '-u', 'user:staff', 'bb', 'id'])).stdout, 'uid=1000(user) gid=50(staff)\n');
    const unknown = await s.run(['--name', 'nouser', '-u', 'nosuch', 'bb', 'touch', '/tmp/started']);
    t.is(unknown.status, 125, 'the container could not start: Docker\'s status');
    t.is(unknown.stderr, 'strata: unable to find user nosuch: no matching entries in passwd file\n');
    t.is((await s.cli(['diff', 'nouser'])).stdout, '', 'the command never ran');
    t.regex((await s.cli(['ps', '-a'])).stdout, /\s+Created\s+nouser\n/, 'the container stays created, as in Docker');
    t.is((await s.run(['--rm', '-u', 'nosuch', 'bb', 'true'])).status, 125);
    t.is((await s.cli(['ps', '-a', '-q'])).stdout.split('\n').filter(Boolean).length, 1, '--rm removes it');
  }));

  maybe('exit statuses: passed through, 127 not found, 126 not executable, 128+N when killed by signal N', (t) => withStrata(DRIVER, runtime, async (s) => {
    t.is((await s.run(['--rm', 'bb', 'sh', '-c', 'exit 42'])).status, 42);
    const missing = await s.run(['--rm', 'bb', 'nosuch']);
    t.is(missing.status, 127);
    t.is(missing.stderr, 'strata: exec: "nosuch": executable file not found in $PATH\n');
    const absent = await s.run(['--rm', 'bb', '/nosuch']);
    t.is(absent.status, 127);
    t.regex(absent.stderr, /exec: "\/nosuch": stat \/nosuch: no such file or directory/);
    const notExec = await s.run(['--rm', 'bb', '/etc/passwd']);
    t.is(notExec.status, 126);
    t.is(notExec.stderr, 'strata: exec: "/etc/passwd": permission denied\n');

    // SIGKILL from the host to the container's process (PID 1 in its namespace).
    const marker = `sleep 7${runtime === 'runc' ? 2 : 1}${process.pid}`;
    const child = s.spawnRun(['--rm', 'bb', ...marker.split(' ')]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    t.true(await eventually(async () => (await processesWith(marker, true)).length > 0), 'the container started');
    for (const pid of await processesWith(marker, true)) process.kill(pid, 'SIGKILL');
    t.is(await exited, 137);
  }));

  maybe('--name taken: exit 4 with Docker\'s conflict message; --rm leaves no container and no layer', (t) => withStrata(DRIVER, runtime, async (s) => {
    t.is((await s.run(['--name', 'taken', 'bb', 'true'])).status, 0);
    const id = (await s.cli(['--no-trunc', 'ps', '-a', '-q'])).stdout.trim();
    t.is((await s.cli(['ps', '-a', '-q', '--no-trunc'])).stdout.trim(), id, 'ps --no-trunc after the command, as Docker users type it');
    const again = await s.run(['--name', 'taken', 'bb', 'true']);
    t.is(again.status, 4);
    t.regex(again.stderr, /Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
    t.is((await s.cli(['rm', 'taken'])).status, 0, id);

    t.is((await s.run(['--rm', 'bb', 'sh', '-c', 'echo gone > /tmp/x'])).status, 0);
    t.is((await s.cli(['ps', '-a', '-q'])).stdout, '');
    const layers = (await s.cli(['--json', 'layer', 'ls'])).stdout;
    t.is((JSON.parse(layers) as unknown[]).length, 1, `only the image's layer is left: ${layers}`);
  }));

  maybe('-v binds rw and ro (writes land on the host, never in the layer); --network none has only lo; --hostname', (t) => withStrata(DRIVER, runtime, async (s) => {
    const rw = join(s.dir, 'rw');
    const ro = join(s.dir, 'ro');
    await mkdir(rw);
    await mkdir(ro);
    await writeFile(join(ro, 'in'), 'from host\n');
    const script = 'echo w > /data/w; cat /ro/in; echo z > /ro/z 2>/dev/null || echo ro-refused; hostname; cat /etc/hostname; grep -c : /proc/net/dev; grep -o "lo:" /proc/net/dev';
    const r = await s.run(['--name', 'vol', '-v', `${rw}:/data`, '-v', `${ro}:/ro:ro`, '--network', 'none', '--hostname', 'h1', 'bb', 'sh', '-c', script]);
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout, 'from host\nro-refused\nh1\nh1\n1\nlo:\n');
    t.is(await readFile(join(rw, 'w'), 'utf8'), 'w\n');
    const diff = (await s.cli(['diff', 'vol'])).stdout;
    t.false(diff.includes('/data/w'), diff);
    t.false(tarPaths((await s.cli(['export', 'vol'])).raw).includes('data/w'));
  }));
}

// Image-level rules: one runtime is enough.
testOn(test, DRIVER, 'builtin')('rmi of an image a container uses is refused (exit 4) unless -f; export is the flattened file system', (t) => withStrata(DRIVER, 'builtin', async (s) => {
  t.is((await s.run(['--name', 'user1', 'bb', 'sh', '-c', 'echo a > /tmp/a; rm -f /bin/ls'])).status, 0);
  const refused = await s.cli(['rmi', 'bb']);
  t.is(refused.status, 4);
  t.regex(refused.stderr, /conflict: unable to remove repository reference "bb" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
  const paths = tarPaths((await s.cli(['export', 'user1'])).raw);
  t.true(paths.includes('bin/busybox') && paths.includes('tmp/a') && paths.includes('etc/passwd'));
  t.false(paths.includes('bin/ls'));
  t.false(paths.some((p) => p.includes('.wh.')), 'no whiteouts in a flattened export');
  t.is((await s.cli(['rmi', '-f', 'bb'])).status, 0);
  t.is((await s.cli(['start', 'user1'])).status, 0, 'the container still runs without the tag');
}));
