import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NamespaceRunner, RuncRunner, freezeContainer, isFrozen, reapContainer, thawContainer, withContainerFrozen } from '../../core/containers/runner/index.js';
import type { RunningContainer } from '../../core/containers/runner/index.js';
import { RUNNERS, capture, makeBox, runnerUnmet, specFor, testUnless } from './helpers.js';
import type { Box } from './helpers.js';

const exec = promisify(execFile);
const CHILD = fileURLToPath(new URL('./fixtures/run-child.js', import.meta.url));

/** Runs `body` with a fresh box, always cleaned up. */
async function withBox<T>(body: (box: Box) => Promise<T>): Promise<T> {
  const box = await makeBox();
  try {
    return await body(box);
  } finally {
    await box.cleanup();
  }
}

/** Pids whose command line contains `marker`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.replace(/\0/g, ' ').includes(marker)) found.push(Number(name));
  }
  return found;
}

/** Whether any process's mount table still names `path`. */
async function mountedAnywhere(path: string): Promise<boolean> {
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const info = await readFile(`/proc/${name}/mountinfo`, 'utf8').catch(() => '');
    if (info.includes(path)) return true;
  }
  return false;
}

/** Polls `check` every 50 ms until it is true or 10 s passed; answers the last result. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const unmetFor = { builtin: await runnerUnmet('builtin'), runc: await runnerUnmet('runc') };

for (const runner of RUNNERS) {
  const maybe = testUnless(test, unmetFor[runner.name]);
  const name = (title: string) => `${runner.name}: ${title}`;

  maybe(name('output and exit code pass through'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'echo out; echo err >&2; exit 3']));
    t.is(r.stdout, 'out\n');
    t.is(r.stderr, 'err\n');
    t.is(r.exitCode, 3);
  }));

  maybe(name('an unknown command exits 127 with Docker\'s message, a non-executable one 126'), (t) => withBox(async (box) => {
    const missing = await capture(runner, await specFor(box, ['nosuch']));
    t.is(missing.exitCode, 127);
    t.regex(missing.stderr, /exec: "nosuch": executable file not found in \$PATH/);
    const path = await capture(runner, await specFor(box, ['/nosuch']));
    t.is(path.exitCode, 127);
    t.regex(path.stderr, /exec: "\/nosuch": stat \/nosuch: no such file or directory/);
    const notExec = await capture(runner, await specFor(box, ['/etc/passwd']));
    t.is(notExec.exitCode, 126);
    t.regex(notExec.stderr, /exec: "\/etc\/passwd": permission denied/);
  }));

  maybe(name('a setup failure (a directory bound over a file) exits 125 with the runtime\'s message'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['true'], { mounts: [{ source: box.dir, destination: '/etc/passwd', readonly: false }] }));
    t.is(r.exitCode, 125);
    t.regex(r.stderr, /not a directory/i);
  }));

  maybe(name('user 1000 and nobody:nogroup from the image\'s passwd and group'), (t) => withBox(async (box) => {
    const user = await capture(runner, await specFor(box, ['sh', '-c', 'id -u; id -g; id -G; echo $HOME'], { userSpec: '1000' }));
    t.is(user.stdout, '1000\n1000\n1000 50\n/home/user\n');
    const nobody = await capture(runner, await specFor(box, ['sh', '-c', 'id -u; id -g; echo $HOME; touch /root/x'], { userSpec: 'nobody:nogroup' }));
    t.is(nobody.stdout, '65534\n65534\n/nonexistent\n');
    t.regex(nobody.stderr, /Permission denied/);
    t.not(nobody.exitCode, 0);
  }));

  maybe(name('environment: default PATH, HOSTNAME, HOME, -e values; cwd; hostname'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'env | sort; pwd; hostname; cat /etc/hostname'], { env: ['FOO=bar baz'], cwd: '/var/work' }));
    const lines = r.stdout.trim().split('\n');
    t.true(lines.includes('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'));
    t.true(lines.includes('HOSTNAME=strata-test'));
    t.true(lines.includes('HOME=/root'));
    t.true(lines.includes('FOO=bar baz'));
    t.deepEqual(lines.slice(-3), ['/var/work', 'strata-test', 'strata-test']);
    const own = await capture(runner, await specFor(box, ['sh', '-c', 'echo $PATH'], { env: ['PATH=/bin'] }));
    t.is(own.stdout, '/bin\n');
  }));

  maybe(name('network none has only lo; /proc, /dev and a read-only /sys are there'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'ls /sys/class/net; echo $$; ls /dev; head -c 4 /dev/zero | wc -c; touch /sys/x 2>/dev/null || echo ro']));
    const [net, pid, ...rest] = r.stdout.trim().split('\n');
    t.is(net, 'lo');
    t.is(pid, '1');
    for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'ptmx']) t.true(rest.includes(dev), dev);
    t.deepEqual(rest.slice(-2), ['4', 'ro']);
  }));

  maybe(name('binds: rw writes land on the host, ro refuses writes, neither lands in the root file system'), (t) => withBox(async (box) => {
    const rw = join(box.dir, 'r w#\\1');
    const ro = join(box.dir, 'ro');
    await mkdir(rw);
    await mkdir(ro);
    await writeFile(join(ro, 'f'), 'host\n');
    const spec = await specFor(box, ['sh', '-c', 'echo hi > "/data dir/new"; cat /config/f; echo x > /config/f || echo refused'], {
      mounts: [{ source: rw, destination: '/data dir', readonly: false }, { source: ro, destination: '/config', readonly: true }],
    });
    const r = await capture(runner, spec);
    t.is(await readFile(join(rw, 'new'), 'utf8'), 'hi\n');
    t.true(r.stdout.startsWith('host\n') && r.stdout.endsWith('refused\n'));
    t.is(await readFile(join(ro, 'f'), 'utf8'), 'host\n');
    t.deepEqual(await readdir(join(box.rootfs, 'data dir')), [], 'the mountpoint is created, empty, as runc does');
  }));

  maybe(name('network host sees the host\'s interfaces; a file can be bound'), (t) => withBox(async (box) => {
    const file = join(box.dir, 'file.txt');
    await writeFile(file, 'from the host\n');
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'ls /sys/class/net | wc -l; cat /opt/f.txt'], {
      network: 'host', mounts: [{ source: file, destination: '/opt/f.txt', readonly: true }],
    }));
    const hostInterfaces = (await readdir('/sys/class/net')).length;
    t.is(r.stdout, `${hostInterfaces}\nfrom the host\n`);
    t.is((await stat(join(box.rootfs, 'opt/f.txt'))).size, 0, 'the stub file is empty');
  }));

  maybe(name('/etc/hosts, hostname, resolv.conf are bound in but never written into the root file system'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'cat /etc/hosts /etc/hostname /etc/resolv.conf; echo more >> /etc/hosts']));
    t.is(r.stdout, '127.0.0.1\tlocalhost\nstrata-test\nnameserver 192.0.2.53\n');
    for (const f of ['hosts', 'hostname', 'resolv.conf']) t.is((await stat(join(box.rootfs, 'etc', f))).size, 0, f);
  }));

  maybe(name('tty: the process has a terminal from the container\'s devpts, with the size asked for'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'tty; stty size; echo $TERM'], { tty: true, consoleSize: { rows: 33, columns: 101 } }));
    t.deepEqual(r.stdout.replace(/\r/g, '').trim().split('\n'), ['/dev/pts/0', '33 101', 'xterm']);
    t.is(r.exitCode, 0);
  }));

  maybe(name('stdin attached'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sh', '-c', 'read a; echo got $a; cat'], { stdin: true }), { input: 'one\ntwo\n' });
    t.is(r.stdout, 'got one\ntwo\n');
  }));

  maybe(name('SIGKILL to the container reports 128+9; the cgroup freezer pauses it'), (t) => withBox(async (box) => {
    let container: RunningContainer | undefined;
    const spec = await specFor(box, ['sh', '-c', 'while :; do echo tick >> /tmp/ticks; sleep 0.05; done']);
    const running = capture(runner, spec, { started: (c) => (container = c) });
    const ticks = join(box.rootfs, 'tmp/ticks');
    t.true(await eventually(async () => (await stat(ticks).catch(() => undefined)) !== undefined));
    const c = container as RunningContainer;
    t.true(await eventually(async () => c.pid !== undefined));
    await freezeContainer(c.freezerCgroup);
    t.true(await isFrozen(c.freezerCgroup));
    const frozenSize = (await stat(ticks)).size;
    await new Promise((r) => setTimeout(r, 300));
    t.is((await stat(ticks)).size, frozenSize, 'no write while frozen');
    await thawContainer(c.freezerCgroup);
    t.true(await eventually(async () => (await stat(ticks)).size > frozenSize), 'writes resume once thawed');
    const sizeInside = await withContainerFrozen(box.containerDir, async () => {
      t.true(await isFrozen(c.freezerCgroup));
      return (await stat(ticks)).size;
    });
    t.false(await isFrozen(c.freezerCgroup));
    t.true(sizeInside > frozenSize);
    c.kill('SIGKILL');
    t.is((await running).exitCode, 137);
  }));

  maybe(name('stop: PID 1 without a handler ignores SIGTERM, so SIGKILL follows the grace period'), (t) => withBox(async (box) => {
    const r = await capture(runner, await specFor(box, ['sleep', '1000']), { started: (c) => c.stop(200) });
    t.is(r.exitCode, 137);
  }));

  maybe(name('SIGTERM to strata reaches a container process that traps it'), (t) => withBox(async (box) => {
    const spec = await specFor(box, ['sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done']);
    const child = spawn(process.execPath, [CHILD, runner.name, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    const seen: string[] = [];
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    for await (const line of lines) {
      seen.push(line);
      if (line === 'ready') child.kill('SIGTERM');
    }
    t.deepEqual(seen, ['ready', 'got-term']);
    t.is(await done, 7);
  }));

  maybe(name('SIGKILL of strata leaves no process and no mount'), (t) => withBox(async (box) => {
    const marker = `${runner.name === 'runc' ? 4242 : 4343}.${process.pid}`;
    const host = join(box.dir, 'vol');
    await mkdir(host);
    const spec = await specFor(box, ['sh', '-c', `echo ready; sleep ${marker}`], { mounts: [{ source: host, destination: '/vol', readonly: false }] });
    const child = spawn(process.execPath, [CHILD, runner.name, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) if (line === 'ready') break;
    t.true((await processesWith(`sleep ${marker}`)).length > 0);
    child.kill('SIGKILL');
    t.true(await eventually(async () => (await processesWith(`sleep ${marker}`)).length === 0), 'the container\'s processes died');
    t.true(await eventually(async () => !(await mountedAnywhere(box.rootfs))), 'no mount of the root file system is left');
    await reapContainer(box.containerDir);
    await t.throwsAsync(stat(join(box.containerDir, 'runner.json')));
  }));
}

testUnless(test, unmetFor.builtin)('builtin: SIGKILL of the runner process itself (strata-nsrun) takes the container with it; strata reports 137', (t) => withBox(async (box) => {
  const marker = `4444.${process.pid}`;
  const spec = await specFor(box, ['sh', '-c', `echo ready; exec sleep ${marker}`]);
  const child = spawn(process.execPath, [CHILD, 'builtin', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) if (line === 'ready') break;
  const runners = await processesWith(join(box.containerDir, 'nsrun.spec'));
  t.is(runners.length, 1, 'one strata-nsrun for the container');
  process.kill(runners[0]!, 'SIGKILL');
  t.true(await eventually(async () => (await processesWith(`sleep ${marker}`)).length === 0), 'PID 1 died with its runner');
  t.is(await closed, 137);
}));

testUnless(test, unmetFor.builtin)('not root: EPRIVILEGE with a clear line', (t) => withBox(async (box) => {
  const spec = await specFor(box, ['true']);
  const r = await exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CHILD, 'builtin', JSON.stringify(spec)]).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  t.is(r.code, 77);
  t.regex(r.stderr, /running a container needs root/);
}));

for (const runner of RUNNERS) {
  testUnless(test, unmetFor[runner.name])(`${runner.name}: loader variables reach the container's process only (no host tool runs with them)`, (t) => withBox(async (box) => {
    const spec = await specFor(box, ['sh', '-c', 'echo $LD_LIBRARY_PATH'], { env: ['LD_LIBRARY_PATH=/opt/lib'] });
    t.is((await capture(runner, spec)).stdout, '/opt/lib\n');
  }));
}
