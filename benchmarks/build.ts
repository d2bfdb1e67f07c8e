// `strata build` next to `buildah bud --isolation chroot --layers` on one Dockerfile:
// FROM a busybox base, COPY of a 5,000-file context, five RUNs, metadata steps.
// Cold build, fully cached rebuild, rebuild after one copied file changed.
// Not part of the main plan (the lead wires it): run it alone with
//   npx tsc -p tsconfig.json && node dist/benchmarks/build.js [driver]
// Needs root and busybox-static; buildah 1.28 where installed. Prints one JSON object (ms, wall clock, one run each).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUSYBOX_BASE_CHANGES, BUSYBOX_BASE_NAME, writeBusyboxBaseTar } from '../test/build/busybox-base.js';
import { run, versionOf } from './exec.js';
import { bundledEntry } from '../cli/bundled.js';

const CLI = bundledEntry('main.js');
const FILES = 5000;

const DOCKERFILE = `ARG BASE=${BUSYBOX_BASE_NAME}
FROM \${BASE}
LABEL bench=build
ENV APP=/src
COPY src /src
RUN ls -R /src | wc -l > /count
RUN echo one > /one
RUN echo two > /two
RUN cat /count /one /two > /all
RUN rm /one
WORKDIR /src
CMD ["/bin/sh"]
`;

async function makeContext(dir: string): Promise<string> {
  const ctx = join(dir, 'ctx');
  for (let d = 0; d < 50; d++) {
    await mkdir(join(ctx, 'src', `d${d}`), { recursive: true });
    for (let f = 0; f < FILES / 50; f++) await writeFile(join(ctx, 'src', `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`);
  }
  await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
  return ctx;
}

async function timed(what: string, command: string, args: string[]): Promise<number> {
  const start = performance.now();
  await run(command, args).catch((err: Error) => { throw new Error(`${what} failed: ${err.message.slice(-500)}`); });
  return Math.round(performance.now() - start);
}

async function phases(build: () => Promise<number>, ctx: string): Promise<{ cold: number; cached: number; oneFileChanged: number }> {
  const cold = await build();
  const cached = await build();
  await writeFile(join(ctx, 'src', 'd7', 'f3.txt'), 'changed\n');
  const oneFileChanged = await build();
  await writeFile(join(ctx, 'src', 'd7', 'f3.txt'), 'file 7/3\n');
  return { cold, cached, oneFileChanged };
}

async function main(): Promise<void> {
  const driver = process.argv[2] ?? 'overlay';
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-build-'));
  try {
    const base = join(dir, 'base.tar');
    await writeBusyboxBaseTar(base);
    const ctx = await makeContext(dir);
    const strata = ['--root', join(dir, 'strata'), '--driver', driver];
    await run(process.execPath, [CLI, ...strata, 'import', '-c', BUSYBOX_BASE_CHANGES[0]!, '-c', BUSYBOX_BASE_CHANGES[1]!, base, BUSYBOX_BASE_NAME]);
    const results: Record<string, unknown> = {};
    results[`strata (${driver})`] = await phases(() => timed('strata build', process.execPath, [CLI, ...strata, 'build', '-q', '-t', 'bench', ctx]), ctx);
    const version = await versionOf('buildah');
    if (version === undefined) {
      results.buildah = 'buildah is not installed';
    } else {
      const oci = join(dir, 'base-oci.tar');
      await run(process.execPath, [CLI, ...strata, 'save', '--format', 'oci-archive', '-o', oci, BUSYBOX_BASE_NAME]);
      const buildah = ['--root', join(dir, 'buildah'), '--runroot', join(dir, 'buildah-run'), '--storage-driver', 'overlay'];
      // The base enters buildah's storage before the timed runs, as it is in strata's.
      await run('buildah', [...buildah, 'pull', `oci-archive:${oci}`]);
      const image = (await run('buildah', [...buildah, 'images', '-q'])).stdout.trim().split('\n')[0]!;
      results[`buildah ${version.trim()}`] = await phases(() => timed('buildah bud', 'buildah', [...buildah, 'bud', '--isolation', 'chroot', '--layers', '-q', '--build-arg', `BASE=${image}`, '-t', 'bench', ctx]), ctx);
      await run('buildah', [...buildah, 'rmi', '-a', '-f']);
    }
    process.stdout.write(JSON.stringify({ benchmark: `build: FROM busybox, COPY ${FILES} files, 5 RUN, metadata (ms, one run)`, results }, null, 2) + '\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
