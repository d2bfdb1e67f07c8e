import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream as tarStream } from 'node:fs';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Store } from '../../core/engine.js';
import { buildImage } from '../../core/build/build-image.js';
import { RunFailedError } from '../../core/build/executor.js';
import type { BuildOutput } from '../../core/build/exec/build-output.js';
import { importImage } from '../../core/image-ops/index.js';
import { parseTagTarget } from '../../core/images/index.js';
import { builtinDriverModules } from '../../drivers/index.js';
import { BUSYBOX_BASE_CHANGES, BUSYBOX_BASE_NAME, writeBusyboxBaseTar } from '../build/busybox-base.js';
import type { CaseOptions, ExpectedResult, FsEntry } from '../build/corpus.js';
import { outputShape, prepareCase } from '../build/corpus.js';
import { tempDirUntilExit } from '../helpers/temp-dirs.js';

/** A store on a fresh root with `driver`; the caller closes it and removes `dir`. */
export async function openFreshStore(driver: string): Promise<{ store: Store; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), `strata-build-exec-${driver}-`));
  const store = await Store.open({ config: { root: join(dir, 'root'), driver, plugins: [], driverOptions: {} }, driverModules: builtinDriverModules });
  return { store, dir };
}

let baseTar: Promise<string> | undefined;
/** The corpus's busybox base tar (written once per process). */
export function busyboxTar(): Promise<string> {
  baseTar ??= (async () => {
    const dir = await tempDirUntilExit('strata-bb-tar-');
    const path = join(dir, 'base.tar');
    await writeBusyboxBaseTar(path);
    return path;
  })();
  return baseTar;
}

/** Imports the busybox base as `strata-busybox:base`. */
export async function importBusybox(store: Store): Promise<string> {
  return importImage(store, tarStream(await busyboxTar()), { name: parseTagTarget(BUSYBOX_BASE_NAME), changes: BUSYBOX_BASE_CHANGES });
}

/** A BuildOutput that records every line (progress and RUN output). */
export function recordingOutput(): BuildOutput & { lines: string[]; text: () => string } {
  const chunks: string[] = [];
  const lines: string[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c.toString()); cb(); } });
  return { lines, line: (l) => { lines.push(l); chunks.push(l + '\n'); }, stdout: sink, stderr: sink, text: () => chunks.join('') };
}

export interface BuildAttempt {
  id?: string;
  error?: Error;
  status: number;
  lines: string[];
}

export async function buildDir(store: Store, ctx: string, options: CaseOptions & { noCache?: boolean; tags?: string[] } = {}): Promise<BuildAttempt> {
  const out = recordingOutput();
  const file = options.dockerfile ?? 'Dockerfile';
  try {
    const { id } = await buildImage(store, {
      contextDir: ctx, dockerfile: await readFile(join(ctx, file), 'utf8'), dockerfileName: file,
      buildArgs: options.buildArgs ?? {}, labels: options.labels ?? {}, ...(options.target ? { target: options.target } : {}),
      noCache: options.noCache === true, out, tags: (options.tags ?? []).map((t) => parseTagTarget(t)),
    });
    return { id, status: 0, lines: out.lines };
  } catch (err) {
    return { error: err as Error, status: err instanceof RunFailedError ? err.status : 1, lines: out.lines };
  }
}

/** Step numbers (N of `Step N/M`) followed by ` ---> Using cache`. */
export function cachedSteps(lines: readonly string[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    const m = /^Step (\d+)\//.exec(l);
    if (m && lines[i + 1] === ' ---> Using cache') out.push(Number(m[1]));
  });
  return out;
}

/** Serves case.json's `serve` files on 127.0.0.1; returns the base URL and a closer. */
export async function serveFiles(files: NonNullable<CaseOptions['serve']>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, f.lastModified ? { 'Last-Modified': f.lastModified } : {});
    res.end(Buffer.from(f.content, 'latin1'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

async function entryOf(root: string, path: string): Promise<FsEntry | undefined> {
  const host = join(root, path);
  const st = await lstat(host).catch(() => undefined);
  if (st === undefined) return undefined;
  const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
  const entry: FsEntry = { path, type, mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid };
  if (type === 'file') {
    entry.size = st.size;
    const h = createHash('sha256');
    for await (const c of createReadStream(host)) h.update(c as Buffer);
    entry.sha256 = h.digest('hex');
  }
  if (type === 'symlink') entry.linkname = await readlink(host);
  return entry;
}

/**
 * Differences between the expectation and the built image, one line each (empty: the
 * same): steps printed, exit status and error, config, layers, history, files.
 */
export async function compareCase(store: Store, name: string, expected: ExpectedResult): Promise<string[]> {
  const { ctx, options } = await prepareCase(name);
  let server: Server | undefined;
  try {
    if (options.serve) {
      const s = await serveFiles(options.serve);
      server = s.server;
      options.buildArgs = { ...(options.buildArgs ?? {}), BASEURL: s.url };
    }
    // Tagged as the recording's builds were, so that `Successfully tagged` lines compare too.
    const tags = [`strata-case:${name.toLowerCase()}`];
    let attempt = await buildDir(store, ctx, { ...options, tags });
    const diffs: string[] = [];
    const steps = attempt.lines.filter((l) => l.startsWith('Step '));
    let exp: { exitCode: number; steps: string[]; cachedSteps?: number[]; output?: string[] } = expected;
    if (options.rebuild && attempt.status === 0) {
      if (options.rebuild.script) await promisify(execFile)('sh', ['-c', options.rebuild.script], { cwd: ctx });
      attempt = await buildDir(store, ctx, { ...options, tags, buildArgs: { ...options.buildArgs, ...options.rebuild.buildArgs }, labels: { ...options.labels, ...options.rebuild.labels } });
      exp = expected.rebuild!;
      const want = exp.cachedSteps ?? [];
      const got = cachedSteps(attempt.lines);
      if (JSON.stringify(want) !== JSON.stringify(got)) diffs.push(`cached steps ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
    const gotSteps = options.rebuild ? attempt.lines.filter((l) => l.startsWith('Step ')) : steps;
    if (JSON.stringify(gotSteps) !== JSON.stringify(exp.steps)) diffs.push(`steps ${JSON.stringify(gotSteps)}, expected ${JSON.stringify(exp.steps)}`);
    const shape = outputShape(attempt.lines);
    if (exp.output !== undefined && JSON.stringify(shape) !== JSON.stringify(exp.output)) diffs.push(`output ${JSON.stringify(shape)}, expected ${JSON.stringify(exp.output)}`);
    if (attempt.status !== exp.exitCode) diffs.push(`exit ${attempt.status} (${attempt.error?.message}), expected ${exp.exitCode}`);
    if (exp.exitCode !== 0) {
      const core = (expected.error ?? '').replace(/^(Error response from daemon: |COPY failed: |ADD failed: |failed to parse Dockerfile: )/, '').replace(/ \(\)$/, '');
      // Docker's `dockerfile parse error line N: TEXT` is strata's `FILE:N: KEYWORD: TEXT`.
      const parse = /^dockerfile parse error line (\d+): ([\s\S]*)$/.exec(core);
      const message = attempt.error?.message ?? '';
      const same = parse ? message.startsWith(`${options.dockerfile ?? 'Dockerfile'}:${parse[1]}: `) && message.endsWith(`: ${parse[2]}`) : message.includes(core);
      if (expected.error && !same) diffs.push(`error ${JSON.stringify(attempt.error?.message)}, expected ${JSON.stringify(expected.error)}`);
      return diffs;
    }
    if (attempt.id === undefined) return diffs;
    const { config } = await store.images.config(attempt.id);
    const image = store.images.get(attempt.id);
    for (const [key, value] of Object.entries(expected.config ?? {})) {
      if (key === 'Image' || key === 'Hostname') continue;
      const got = (config.config as Record<string, unknown> | undefined)?.[key] ?? null;
      if (JSON.stringify(got) !== JSON.stringify(value ?? null)) diffs.push(`config.${key} ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`);
    }
    if (expected.containerCmd !== undefined && JSON.stringify(config.container_config?.Cmd ?? null) !== JSON.stringify(expected.containerCmd)) {
      diffs.push(`container_config.Cmd ${JSON.stringify(config.container_config?.Cmd)}, expected ${JSON.stringify(expected.containerCmd)}`);
    }
    if (expected.layers !== undefined && image.layers.length !== expected.layers) diffs.push(`layers ${image.layers.length}, expected ${expected.layers}`);
    const history = (config.history ?? []).map((h) => h.created_by ?? '');
    const wantHistory = (expected.history ?? []).map((h) => h.createdBy);
    if (expected.history && JSON.stringify(history) !== JSON.stringify(wantHistory)) diffs.push(`history ${JSON.stringify(history)}, expected ${JSON.stringify(wantHistory)}`);
    if (expected.files && image.layers.length > 0) {
      const root = await store.layers.mount(image.layers.at(-1)!);
      try {
        for (const want of expected.files) {
          const got = await entryOf(root, want.path);
          const norm = (e: FsEntry | undefined): string => JSON.stringify(e === undefined ? null : { ...e, ...(e.type === 'directory' ? { size: undefined } : {}) });
          if (norm(got) !== norm(want)) diffs.push(`file ${norm(got)}, expected ${norm(want)}`);
        }
        for (const gone of expected.removed ?? []) if (await lstat(join(root, gone)).then(() => true, () => false)) diffs.push(`file ${gone} should be gone`);
      } finally {
        await store.layers.unmount(image.layers.at(-1)!);
      }
    }
    return diffs;
  } finally {
    server?.close();
    await rm(ctx, { recursive: true, force: true });
  }
}
