import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helloElf } from '../../demo/hello-elf.js';
import { BUSYBOX_BASE_CHANGES, BUSYBOX_BASE_NAME } from '../build/busybox-base.js';
import { CLI, runCli } from '../cli/run-cli.js';
import { unmet } from '../helpers/prerequisites.js';
import { busyboxTar } from './harness.js';

/** `strata build` end to end through the CLI, on the overlay driver. */
const reason = await unmet('overlay');

async function setup(t: { teardown: (f: () => Promise<void>) => void }): Promise<{ dir: string; strata: (...args: string[]) => ReturnType<typeof runCli>; input: (input: string, ...args: string[]) => ReturnType<typeof runCli> }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-build-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const globals = ['--root', join(dir, 'root'), '--driver', 'overlay'];
  return {
    dir,
    strata: (...args) => runCli([...globals, ...args]),
    input: (input, ...args) => runCli([...globals, ...args], { input: Buffer.from(input) }),
  };
}

async function context(dir: string, name: string, files: Record<string, string | Buffer>): Promise<string> {
  const ctx = join(dir, name);
  await mkdir(ctx, { recursive: true });
  for (const [path, content] of Object.entries(files)) await writeFile(join(ctx, path), content, { mode: path === 'hello' ? 0o755 : 0o644 });
  return ctx;
}

/** The N of `Step N/M` lines followed by ` ---> Using cache`. */
function cachedSteps(stdout: string): number[] {
  return [...stdout.matchAll(/^Step (\d+)\/\d+ : .*\n ---> Using cache$/gm)].map((m) => Number(m[1]));
}

const HELLO_DOCKERFILE = 'FROM scratch\nADD hello /\nCMD ["/hello"]\n';

if (reason !== undefined) {
  test('strata build (overlay)', (t) => t.pass(`skipped: ${reason}`));
} else {
  test.serial('the seed hello-world Dockerfile builds, runs, and prints the classic builder lines', async (t) => {
    const { dir, strata } = await setup(t);
    const ctx = await context(dir, 'hello', { Dockerfile: HELLO_DOCKERFILE, hello: helloElf() });
    const built = await strata('build', '-t', 'hello', ctx);
    t.is(built.status, 0, built.stderr);
    const lines = built.stdout.trim().split('\n').filter((l) => !l.startsWith('Sending build context'));
    // Docker prints an empty id for FROM scratch.
    t.deepEqual(lines.slice(0, 3), ['Step 1/3 : FROM scratch', ' ---> ', 'Step 2/3 : ADD hello /']);
    lines.splice(1, 1);
    t.regex(lines[2]!, /^ ---> [0-9a-f]{12}$/);
    t.is(lines[3], 'Step 3/3 : CMD ["/hello"]');
    t.regex(lines[4]!, /^ ---> Running in [0-9a-f]{12}$/);
    t.is(lines[5], `Removing intermediate container ${lines[4]!.slice(-12)}`);
    t.regex(lines[6]!, /^ ---> [0-9a-f]{12}$/);
    t.is(lines[7], `Successfully built ${lines[6]!.slice(-12)}`);
    t.is(lines[8], 'Successfully tagged hello:latest');
    t.is(lines.length, 9);
    const ran = await strata('run', '--rm', 'hello');
    t.is(ran.stdout, 'hello docker\n', ran.stderr);
    const history = await strata('--no-trunc', 'history', 'hello');
    t.regex(history.stdout, /\/bin\/sh -c #\(nop\)  CMD \["\/hello"\]/);
    t.regex(history.stdout, /\/bin\/sh -c #\(nop\) ADD file:[0-9a-f]{64} in \/ /);
    // Each step's own image stands on its row, as `docker history` shows a local build.
    const ids = (await strata('history', '-q', 'hello')).stdout.trim().split('\n');
    t.deepEqual(ids, [lines[6]!.slice(-12), lines[2]!.slice(-12)]);
    // The intermediate image (the ADD step) shows only with -a.
    const images = await strata('images');
    const all = await strata('images', '-a');
    t.is(images.stdout.trim().split('\n').length, 2, images.stdout);
    t.is(all.stdout.trim().split('\n').length, 3, all.stdout);
    const quiet = await strata('build', '-q', '--iidfile', join(dir, 'iid'), ctx);
    t.regex(quiet.stdout, /^sha256:[0-9a-f]{64}\n$/);
    t.is(await readFile(join(dir, 'iid'), 'utf8'), quiet.stdout.trim());
    t.true(lines[7]!.endsWith(quiet.stdout.slice(7, 19)), 'a fully cached rebuild gives the same image');
  });

  test.serial('a busybox base with RUN, ENV, WORKDIR, ENTRYPOINT + CMD; the cache; a failing RUN; builder prune', async (t) => {
    const { dir, strata, input } = await setup(t);
    const imported = await strata('import', '-c', BUSYBOX_BASE_CHANGES[0]!, '-c', BUSYBOX_BASE_CHANGES[1]!, await busyboxTar(), BUSYBOX_BASE_NAME);
    t.is(imported.status, 0, imported.stderr);
    const dockerfile = [
      `FROM ${BUSYBOX_BASE_NAME}`, 'ENV GREETING=hello', 'WORKDIR /app', 'COPY a.txt ./', 'RUN echo "$GREETING from $(pwd)" > out.txt && cat out.txt',
      'COPY b.txt ./', 'RUN cat a.txt b.txt > ab.txt', 'ENTRYPOINT ["/bin/cat"]', 'CMD ["/app/out.txt"]', '',
    ].join('\n');
    const ctx = await context(dir, 'app', { Dockerfile: dockerfile, 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const first = await strata('build', '-t', 'app:v1', '--label', 'org.example=1', ctx);
    t.is(first.status, 0, first.stderr);
    t.regex(first.stdout, /Step 5\/10 : RUN echo "\$GREETING from \$\(pwd\)" > out.txt && cat out.txt\n ---> Running in ([0-9a-f]{12})\nhello from \/app\nRemoving intermediate container \1\n ---> [0-9a-f]{12}\n/);
    t.true(first.stdout.includes('Step 10/10 : LABEL org.example=1'));
    t.is((await strata('run', '--rm', 'app:v1')).stdout, 'hello from /app\n');
    t.is((await strata('run', '--rm', 'app:v1', '/app/ab.txt')).stdout, 'a\nb\n');
    const inspect = JSON.parse((await strata('image', 'inspect', 'app:v1')).stdout) as [{ Config: { Entrypoint: string[]; Cmd: string[]; WorkingDir: string; Env: string[]; Labels: Record<string, string> } }];
    t.deepEqual(inspect[0].Config.Entrypoint, ['/bin/cat']);
    t.deepEqual(inspect[0].Config.Cmd, ['/app/out.txt']);
    t.is(inspect[0].Config.WorkingDir, '/app');
    t.deepEqual(inspect[0].Config.Env, ['PATH=/bin', 'GREETING=hello']);
    t.deepEqual(inspect[0].Config.Labels, { 'org.example': '1' });

    // Cache: every step again from the cache (metadata steps too, each its own image, as Docker's), the same image.
    const second = await strata('build', '-t', 'app:v1', '--label', 'org.example=1', ctx);
    t.is((second.stdout.match(/ ---> Using cache/g) ?? []).length, 9, second.stdout);
    t.is(/Successfully built (\w+)/.exec(second.stdout)![1], /Successfully built (\w+)/.exec(first.stdout)![1]);
    // One copied file changed: the steps before it come from the cache, not those after.
    await writeFile(join(ctx, 'b.txt'), 'B\n');
    const third = await strata('build', '-t', 'app:v2', ctx);
    t.regex(third.stdout, /Step 5\/9 : RUN [^\n]*\n ---> Using cache\n/);
    t.regex(third.stdout, /Step 6\/9 : COPY b.txt \.\/\n ---> [0-9a-f]{12}\n/);
    t.regex(third.stdout, /Step 7\/9 : RUN cat a.txt b.txt > ab.txt\n ---> Running in/);
    t.is((await strata('run', '--rm', 'app:v2', '/app/ab.txt')).stdout, 'a\nB\n');
    const noCache = await strata('build', '--no-cache', ctx);
    t.false(noCache.stdout.includes('Using cache'));

    // A failing RUN: its own status, one line naming the file, the line, the instruction; nothing moved or left.
    const before = (await strata('images', '-q', 'app')).stdout;
    const failed = await input(`FROM ${BUSYBOX_BASE_NAME}\nRUN echo before\nRUN exit 3\n`, 'build', '-t', 'app:v1', '-');
    t.is(failed.status, 3);
    t.is(failed.stderr.trim(), "strata: Dockerfile:3: RUN: The command '/bin/sh -c exit 3' returned a non-zero code: 3");
    t.is((await strata('images', '-q', 'app')).stdout, before, 'no tag moved');
    t.is((await strata('ps', '-a', '-q')).stdout, '', 'no intermediate container');
    t.false((await readFile('/proc/self/mountinfo', 'utf8')).includes(join(dir, 'root')), 'nothing mounted');
    const missing = await input(`FROM ${BUSYBOX_BASE_NAME}\nCOPY nothere /x\n`, 'build', '-f', '-', ctx);
    t.is(missing.status, 1);
    t.regex(missing.stderr, /^strata: Dockerfile:2: COPY: file not found in build context/);

    // Build cache in system df, freed by builder prune.
    const df = await strata('system', 'df');
    t.regex(df.stdout, /Build Cache\s+[1-9]\d*\s/);
    const pruned = await strata('builder', 'prune', '-f');
    t.is(pruned.status, 0, pruned.stderr);
    t.regex((await strata('system', 'df')).stdout, /Build Cache\s+0\s/);
    t.is((await strata('run', '--rm', 'app:v1')).stdout, 'hello from /app\n', 'tagged images keep their layers');
    const rebuilt = await strata('build', ctx);
    t.false(rebuilt.stdout.includes('Using cache'), 'the cache is gone');
  });

  test.serial('metadata steps are images of their own, as Docker\'s: lines, cache step by step, history rows, images -a, rmi, builder prune', async (t) => {
    const { dir, strata } = await setup(t);
    await strata('import', '-c', BUSYBOX_BASE_CHANGES[0]!, '-c', BUSYBOX_BASE_CHANGES[1]!, await busyboxTar(), BUSYBOX_BASE_NAME);
    // The RUN writes the label: two builds' layers differ even when their RUNs fall in the same second
    // (a tar's mtimes are whole seconds, and identical layers are one layer, shared).
    const dockerfile = (label: string): string => `FROM ${BUSYBOX_BASE_NAME}\nENV A=b\nWORKDIR /tmp\nLABEL x=${label}\nRUN echo ${label} > /f\nEXPOSE 80\nUSER app\nCMD ["sh"]\n`;
    const ctx = await context(dir, 'meta', { Dockerfile: dockerfile('y') });
    const built = await strata('build', '-t', 'meta', ctx);
    t.is(built.status, 0, built.stderr);
    const lines = built.stdout.trim().split('\n').slice(1);
    // What Docker 20.10 printed for this Dockerfile (ids aside): every step but FROM runs a container and commits.
    const shape = lines.map((l) => l.replace(/\b[0-9a-f]{12}\b/g, '<id>'));
    const step = (n: number, text: string): string[] => [`Step ${n}/8 : ${text}`, ' ---> Running in <id>', 'Removing intermediate container <id>', ' ---> <id>'];
    t.deepEqual(shape, [
      `Step 1/8 : FROM ${BUSYBOX_BASE_NAME}`, ' ---> <id>', ...step(2, 'ENV A=b'), ...step(3, 'WORKDIR /tmp'), ...step(4, 'LABEL x=y'),
      'Step 5/8 : RUN echo y > /f', ' ---> Running in <id>', 'Removing intermediate container <id>', ' ---> <id>',
      ...step(6, 'EXPOSE 80'), ...step(7, 'USER app'), ...step(8, 'CMD ["sh"]'), 'Successfully built <id>', 'Successfully tagged meta:latest',
    ]);
    const stepIds = lines.filter((l) => /^ ---> [0-9a-f]{12}$/.test(l)).map((l) => l.slice(-12));
    t.is(new Set(stepIds).size, 8);
    // `history` names each step's image on its row, newest first, as `docker history` of a local build.
    const rows = (await strata('history', '-q', 'meta')).stdout.trim().split('\n');
    t.deepEqual(rows, [...stepIds].reverse());
    const history = (await strata('--no-trunc', 'history', 'meta')).stdout;
    t.regex(history, /#\(nop\)  ENV A=b\s+0B/);
    // The intermediate images show only with -a.
    t.is((await strata('images', '-q')).stdout.trim().split('\n').length, 2);
    t.is((await strata('images', '-a', '-q')).stdout.trim().split('\n').length, 8);

    // An identical prefix hits step by step; a changed metadata step rebuilds from there on.
    await writeFile(join(ctx, 'Dockerfile'), dockerfile('z'));
    const changed = await strata('build', '-t', 'meta2', ctx);
    t.is(changed.status, 0, changed.stderr);
    t.deepEqual(cachedSteps(changed.stdout), [2, 3]);
    t.regex(changed.stdout, /Step 4\/8 : LABEL x=z\n ---> Running in/);
    const again = await strata('build', '-t', 'meta2', ctx);
    t.deepEqual(cachedSteps(again.stdout), [2, 3, 4, 5, 6, 7, 8]);

    // rmi of a built image deletes its untagged chain up to what another image still builds on, as Docker's.
    const removed = await strata('rmi', 'meta2');
    t.is(removed.status, 0, removed.stderr);
    // CMD, USER, EXPOSE, RUN (and its layer), LABEL x=z; WORKDIR's image is meta's too.
    t.is((removed.stdout.match(/^Deleted: sha256:/gm) ?? []).length, 6, removed.stdout);
    t.is((await strata('images', '-a', '-q')).stdout.trim().split('\n').length, 8);
    t.regex((await strata('system', 'df')).stdout, /Build Cache\s+6\s/);
    const pruned = await strata('builder', 'prune', '-f');
    t.is(pruned.status, 0, pruned.stderr);
    t.regex((await strata('system', 'df')).stdout, /Build Cache\s+0\s/);
    t.is((await strata('run', '--rm', 'meta', 'cat', '/f')).stdout, 'y\n');
    t.is((await strata('rmi', 'meta')).status, 0);
    t.deepEqual((await strata('images', '-a', '-q')).stdout.trim().split('\n').length, 1, 'only the base is left');

    // The metadata steps before a failing RUN keep their images: the next build takes them from the cache.
    const failing = await context(dir, 'meta-fail', { Dockerfile: `FROM ${BUSYBOX_BASE_NAME}\nENV A=1\nLABEL q=1\nRUN exit 3\n` });
    t.is((await strata('build', failing)).status, 3);
    await writeFile(join(failing, 'Dockerfile'), `FROM ${BUSYBOX_BASE_NAME}\nENV A=1\nLABEL q=1\nRUN true\n`);
    t.deepEqual(cachedSteps((await strata('build', failing)).stdout), [2, 3]);
  });

  test.serial('kill -9 during a RUN leaves nothing running or mounted, and the next build reuses the finished steps', async (t) => {
    const { dir, strata } = await setup(t);
    await strata('import', '-c', BUSYBOX_BASE_CHANGES[0]!, '-c', BUSYBOX_BASE_CHANGES[1]!, await busyboxTar(), BUSYBOX_BASE_NAME);
    const marker = `sleep 3${Math.floor(Math.random() * 1e6)}`;
    const ctx = await context(dir, 'kill', { Dockerfile: `FROM ${BUSYBOX_BASE_NAME}\nRUN echo one > /one\nRUN ${marker}\n` });
    const child = spawn(process.execPath, [CLI, '--root', join(dir, 'root'), '--driver', 'overlay', 'build', ctx], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if ((out.match(/Running in/g) ?? []).length === 2) setTimeout(resolve, 300);
      });
      child.on('exit', () => reject(new Error(`build ended early: ${out}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    // The RUN's processes die with strata (parent-death signal); give the kernel a moment, up to 20 s.
    const psArgs = (): Promise<string> => new Promise<string>((resolve) => {
      const p = spawn('ps', ['-eo', 'args']);
      let text = '';
      p.stdout.on('data', (b: Buffer) => (text += b.toString()));
      p.on('close', () => resolve(text));
    });
    let ps = await psArgs();
    for (let i = 0; i < 100 && ps.includes(marker); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ps = await psArgs();
    }
    t.false(ps.includes(marker), 'the RUN died with strata');
    // The killed process's scratch files are in the store's tmp (never the system's), until the next open.
    const scratch = async (): Promise<string[]> => (await readdir(join(dir, 'root', 'tmp')).catch(() => [] as string[])).filter((n) => n.startsWith('proc-'));
    t.is((await scratch()).length, 1, 'the killed build left its scratch directory');
    const next = await strata('images', '-a');
    t.deepEqual(await scratch(), [], 'the next open removed it');
    t.is(next.status, 0, next.stderr);
    t.false((await readFile('/proc/self/mountinfo', 'utf8')).includes(join(dir, 'root')), 'the next open unmounted the killed step');
    const again = await strata('build', '--build-arg', 'X=1', await context(dir, 'kill2', { Dockerfile: `FROM ${BUSYBOX_BASE_NAME}\nRUN echo one > /one\n` }));
    t.regex(again.stdout, /Step 2\/2 : RUN echo one > \/one\n ---> Using cache\n/);
  });
}
