/**
 * Re-records test/build/corpus/<case>/expected.json from Docker's classic builder.
 *
 *     npx tsc -p tsconfig.json && node dist/test/build/record-reference.js [case…]
 *
 * Needs root, dockerd (docker.io) and busybox-static. It starts its own dockerd (vfs,
 * temporary data root, no networking), imports the busybox base (busybox-base.ts), builds
 * every case with DOCKER_BUILDKIT=0 and --network=none, records what Docker produced and
 * stops the daemon and removes its directories, also on failure.
 *
 * A case folder holds `context/` (the build context, Dockerfile included), a README.md,
 * optionally `case.json` ({@link CaseOptions}) and `prepare.sh` (run with the copied
 * context as its working directory before the build: modes git cannot keep, archives).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { BUSYBOX_BASE_CHANGES, BUSYBOX_BASE_NAME, writeBusyboxBaseTar } from './busybox-base.js';
import { corpusDir, listCases, outputShape, prepareCase } from './corpus.js';
import type { CaseOptions, ExpectedResult, FsEntry } from './corpus.js';

const exec = promisify(execFile);
const DOCKER = '/usr/bin/docker';

interface Daemon { env: NodeJS.ProcessEnv; proc: ChildProcess; root: string }

async function startDaemon(): Promise<Daemon> {
  const root = await mkdtemp(join(tmpdir(), 'strata-dockerd-'));
  const sock = join(root, 'd.sock');
  const proc = spawn('dockerd', ['--storage-driver=vfs', '--iptables=false', '--ip-masq=false', '--bridge=none',
    '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '-H', `unix://${sock}`, '--pidfile', join(root, 'd.pid')],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_BUILDKIT: '0' };
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
    try { await exec(DOCKER, ['version'], { env }); return { env, proc, root }; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  proc.kill('SIGKILL');
  throw new Error(`dockerd did not answer: ${log}`);
}

async function stopDaemon(d: Daemon): Promise<void> {
  if (d.proc.exitCode === null) {
    const done = new Promise((r) => d.proc.once('exit', r));
    d.proc.kill('SIGTERM');
    const t = setTimeout(() => d.proc.kill('SIGKILL'), 15000);
    await done;
    clearTimeout(t);
  }
  const { stdout } = await exec('findmnt', ['-rn', '-o', 'TARGET']).catch(() => ({ stdout: '' }));
  for (const m of stdout.split('\n').filter((m) => m.startsWith(d.root)).reverse()) await exec('umount', ['-l', m]).catch(() => undefined);
  await rm(d.root, { recursive: true, force: true });
}

/** Every entry of the image's exported root file system, keyed by path. */
async function exportListing(d: Daemon, image: string, mtimes?: Map<string, number>): Promise<Map<string, FsEntry>> {
  const { stdout: id } = await exec(DOCKER, ['create', image, '/bin/true'], { env: d.env });
  const cid = id.trim();
  try {
    const entries = new Map<string, FsEntry>();
    const extract = tar.extract();
    const child = spawn(DOCKER, ['export', cid], { env: d.env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.pipe(extract);
    for await (const entry of extract) {
      const h = entry.header;
      const hash = createHash('sha256');
      for await (const chunk of entry) hash.update(chunk as Buffer);
      const path = '/' + h.name.replace(/^\.?\//, '').replace(/\/$/, '');
      if (h.mtime) mtimes?.set(path, Math.floor(h.mtime.getTime() / 1000));
      entries.set(path, {
        path, type: h.type ?? 'file', mode: ((h.mode ?? 0) & 0o7777).toString(8).padStart(4, '0'), uid: h.uid ?? 0, gid: h.gid ?? 0,
        ...(h.type === 'file' ? { size: h.size ?? 0, sha256: hash.digest('hex') } : {}),
        ...(h.linkname ? { linkname: h.linkname } : {}),
      });
    }
    return entries;
  } finally {
    await exec(DOCKER, ['rm', '-f', cid], { env: d.env });
  }
}

async function dockerBuild(d: Daemon, ctx: string, tag: string, options: CaseOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['build', '--network=none', '-t', tag];
  for (const [k, v] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(options.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (options.target) args.push('--target', options.target);
  if (options.dockerfile) args.push('-f', join(ctx, options.dockerfile));
  args.push(ctx);
  return new Promise((resolve) => {
    const child = spawn(DOCKER, args, { env: d.env });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The `Step N/M : …` lines, the numbers N of the steps Docker answered from its cache, and the output's shape. */
function stepsOf(stdout: string): { steps: string[]; cachedSteps: number[]; output: string[] } {
  const lines = stdout.split('\n');
  const steps: string[] = [];
  const cachedSteps: number[] = [];
  lines.forEach((line, i) => {
    const m = /^Step (\d+)\/\d+ : /.exec(line);
    if (!m) return;
    steps.push(line);
    if (lines[i + 1] === ' ---> Using cache') cachedSteps.push(Number(m[1]));
  });
  return { steps, cachedSteps, output: outputShape(lines) };
}

async function recordCase(d: Daemon, name: string, base: Map<string, FsEntry>): Promise<ExpectedResult> {
  const { ctx, options: caseOptions } = await prepareCase(name);
  const server = caseOptions.serve ? await serve(caseOptions.serve) : undefined;
  const options: CaseOptions = server ? { ...caseOptions, buildArgs: { ...caseOptions.buildArgs, BASEURL: server.url } } : caseOptions;
  try {
    const tag = `strata-case:${name.toLowerCase()}`;
    const result = await dockerBuild(d, ctx, tag, options);
    const { steps, cachedSteps, output } = stepsOf(result.stdout);
    let rebuild: ExpectedResult['rebuild'];
    if (options.rebuild) {
      if (options.rebuild.script) await exec('sh', ['-c', options.rebuild.script], { cwd: ctx });
      const again = await dockerBuild(d, ctx, tag, { ...options, ...options.rebuild, buildArgs: { ...options.buildArgs, ...options.rebuild.buildArgs } });
      rebuild = { exitCode: again.code, ...stepsOf(again.stdout) };
    }
    if (result.code !== 0) {
      return { exitCode: result.code, error: result.stderr.trim().split('\n').filter(Boolean).pop() ?? '', steps, cachedSteps, output };
    }
    const { stdout: inspect } = await exec(DOCKER, ['image', 'inspect', tag], { env: d.env });
    const image = JSON.parse(inspect)[0];
    const { stdout: hist } = await exec(DOCKER, ['history', '--no-trunc', '--format', '{{.CreatedBy}}\t{{.Size}}', tag], { env: d.env });
    const history = hist.trimEnd().split('\n').reverse().map((l) => { const [createdBy, size] = l.split('\t'); return { createdBy, size }; });
    const allMtimes = new Map<string, number>();
    const listing = await exportListing(d, tag, allMtimes);
    const mtimes = options.mtimes ? Object.fromEntries(options.mtimes.map((p) => [p, allMtimes.get(p) ?? -1])) : undefined;
    const changed: FsEntry[] = [];
    for (const [p, e] of listing) if (JSON.stringify(base.get(p)) !== JSON.stringify(e)) changed.push(e);
    const removed = [...base.keys()].filter((p) => !listing.has(p));
    changed.sort((a, b) => a.path.localeCompare(b.path));
    await exec(DOCKER, ['rmi', '-f', tag], { env: d.env }).catch(() => undefined);
    return {
      exitCode: 0, steps, cachedSteps, output, ...(rebuild ? { rebuild } : {}), config: image.Config, containerCmd: image.ContainerConfig?.Cmd ?? null, architecture: image.Architecture, os: image.Os,
      layers: image.RootFS.Layers.length, history, files: changed, removed, ...(mtimes ? { mtimes } : {}),
    };
  } finally {
    server?.server.close();
    await rm(ctx, { recursive: true, force: true });
  }
}

/** An HTTP server on 127.0.0.1 serving `files` (path → body, Last-Modified), for ADD <url>. */
async function serve(files: NonNullable<CaseOptions['serve']>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (!file) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', ...(file.lastModified ? { 'Last-Modified': file.lastModified } : {}) });
    res.end(Buffer.from(file.content, 'latin1'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const cases = (await listCases()).filter((c) => only.length === 0 || only.includes(c));
  const d = await startDaemon();
  try {
    const work = await mkdtemp(join(tmpdir(), 'strata-base-'));
    try {
      await writeBusyboxBaseTar(join(work, 'base.tar'));
      const changes = BUSYBOX_BASE_CHANGES.flatMap((c) => ['-c', c]);
      await exec(DOCKER, ['import', ...changes, join(work, 'base.tar'), BUSYBOX_BASE_NAME], { env: d.env });
    } finally { await rm(work, { recursive: true, force: true }); }
    const base = await exportListing(d, BUSYBOX_BASE_NAME);
    for (const name of cases) {
      const expected = await recordCase(d, name, base);
      await writeFile(join(corpusDir, name, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
      process.stdout.write(`${name}: ${expected.exitCode === 0 ? `${expected.layers} layers` : `exit ${expected.exitCode}: ${expected.error}`}\n`);
    }
  } finally {
    await stopDaemon(d);
  }
}

main().catch((err) => { process.stderr.write(`${(err as Error).stack}\n`); process.exitCode = 1; });
