import test from 'ava';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import { FUSE_OVERLAY_LAUNCHER, bundledEntry } from '../../cli/bundled.js';
import { unmet } from '../helpers/prerequisites.js';
import { run, sh, testNeedingAll } from './fixtures.js';
import { registerUnless } from '../../core/testkit/index.js';

// strata-fuse-overlay: fuse-overlayfs' command line over strata's union, as podman's mount_program.

const BIN = bundledEntry('fuse-overlay.js');
const exec = promisify(execFile);

/** The command's two forms: the Node entry (npm's bin) and the launcher without a Node parent (podman's mount_program). */
const FORMS = [
  { form: 'node entry', command: process.execPath, first: [BIN] },
  { form: 'launcher', command: FUSE_OVERLAY_LAUNCHER, first: [] as string[] },
] as const;

const podmanMissing = (await unmet('fuse')) ?? (await exec('podman', ['--version']).then(() => undefined, () => 'podman is not installed'))
  ?? (await exec('runc', ['--version']).then(() => undefined, () => 'runc is not installed'));

async function scratch(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-fuse-overlay-'));
  t.teardown(async () => {
    if (!t.passed) {
      // the daemons' logs (workdir/strata-fuse-overlay.log): why a mount died; -xdev: not into the mounts
      const found = await run('find', [dir, '-xdev', '-name', 'strata-fuse-overlay.log']).then((r) => r.stdout, () => '');
      for (const log of found.split('\n').filter(Boolean)) t.log(`${log}:\n${(await readFile(log, 'utf8').catch(() => '')).trimEnd() || '(empty)'}`);
    }
    await run('umount', ['-l', join(dir, 'merged')]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Is path a mount point (in this process's mountinfo)? */
async function mounted(path: string): Promise<boolean> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((l) => l.split(' ')[4] === path);
}

for (const { form, command, first } of FORMS) {
  test(`${form}: --version answers; bad arguments fail with one line and status 1`, async (t) => {
    t.regex((await exec(command, [...first, '--version'])).stdout, /^strata-fuse-overlay: version \d+\.\d+\.\d+\n/);
    const cases: Array<[string[], RegExp]> = [
      [['-o', 'upperdir=/u,workdir=/w', '/m'], /lowerdir= is required/],
      [['-o', 'lowerdir=/a,uidmapping=0:1:1', '/m'], /option uidmapping is not supported/],
      [['-o', 'lowerdir=/a,upperdir=/u', '/m'], /upperdir and workdir go together/],
      [['-o', 'lowerdir=/a'], /expected exactly one mount point/],
    ];
    for (const [args, why] of cases) {
      const err = await t.throwsAsync(exec(command, [...first, ...args]));
      t.is((err as { code?: number }).code, 1, args.join(' '));
      const stderr = (err as { stderr?: string }).stderr ?? '';
      t.regex(stderr, /^strata-fuse-overlay: .+\n$/);
      t.regex(stderr, why);
    }
  });
}

for (const { form, command, first } of FORMS) {
    await testNeedingAll(test, ['fuse'], `${form}: mounts lowerdir=A:B,upperdir,workdir, returns once mounted, writes overlayfs format, exits when unmounted`, async (t) => {
    const dir = await scratch(t);
    for (const d of ['A', 'B', 'upper', 'work', 'merged', 'l']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'B', 'old'), 'B old\n');
    await writeFile(join(dir, 'B', 'gone'), 'gone\n');
    await writeFile(join(dir, 'A', 'old'), 'A old\n');
    await symlink('../A', join(dir, 'l', 'SHORT')); // containers/storage hands symlinks to the layers
    await exec(command, [...first, '-o', `lowerdir=l/SHORT:B,upperdir=upper,workdir=work,volatile`, 'merged'], { cwd: dir });
    const merged = join(dir, 'merged');
    t.true(await mounted(merged), 'mounted when the command returns');
    t.is(await sh(merged, 'cat old; ls'), 'A old\ngone\nold\n', 'the top-most lower wins');
    await sh(merged, 'rm gone && echo new > new && mkdir d');
    t.true((await lstat(join(dir, 'upper', 'gone'))).isCharacterDevice(), 'a whiteout in the upper dir');
    t.is(await readFile(join(dir, 'upper', 'new'), 'utf8'), 'new\n');
    await run('umount', [merged]);
    let alive = true;
    for (let i = 0; i < 40 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = (await exec('pgrep', ['-f', `${BIN} -o lowerdir=l/SHORT`]).then(() => true, () => false));
    }
    t.false(alive, 'the daemon exits once its mount is gone');
    const log = await readFile(join(dir, 'work', 'strata-fuse-overlay.log'), 'utf8');
    t.regex(log, new RegExp(`serving ${merged}\\n.*unmounted from outside: exiting\\n.*exit status 0\\n`, 's'), 'and its log in the workdir says so');
  });
}

registerUnless(test, podmanMissing === undefined ? undefined : { reason: podmanMissing, prerequisite: true },
  'podman run --rm of a busybox image with strata-fuse-overlay as its mount_program', async (t) => {
    const dir = await scratch(t);
    await mkdir(join(dir, 'rootfs', 'bin'), { recursive: true });
    await exec('cp', ['/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox')]);
    for (const c of ['sh', 'echo', 'cat', 'id', 'ls']) await symlink('busybox', join(dir, 'rootfs', 'bin', c));
    await exec('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.']);
    await writeFile(join(dir, 'storage.conf'), [
      '[storage]', 'driver = "overlay"', `graphroot = "${dir}/root"`, `runroot = "${dir}/run"`,
      '[storage.options.overlay]', `mount_program = "${FUSE_OVERLAY_LAUNCHER}"`, '',
    ].join('\n'));
    await writeFile(join(dir, 'containers.conf'), ['[engine]', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', 'runtime = "runc"', ''].join('\n'));
    // No --storage-driver on the command line: it would drop storage.conf's overlay options.
    const env = { ...process.env, CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'), CONTAINERS_CONF: join(dir, 'containers.conf') };
    const podman = (...args: string[]) => exec('podman', args, { env, cwd: dir, maxBuffer: 16 << 20 });
    t.teardown(() => podman('system', 'reset', '--force').then(() => undefined, () => undefined));
    await podman('import', join(dir, 'rootfs.tar'), 'localhost/strata-bb:1');
    const out = await podman('run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
      'localhost/strata-bb:1', '/bin/sh', '-c', 'echo hello > /f && cat /f && ls /bin | wc -l');
    t.is(out.stdout, 'hello\n6\n');
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(`${dir}/root`));
    t.deepEqual(mounts, [], 'podman unmounted it; nothing left mounted');
  });
